"""The CUDA paths: run by ``make gpu-check`` on a GPU machine, skipped with the reason everywhere else.

Each test trains for real on the GPU, at tiny sizes: the device-resident loader against its CPU path, a bf16
channels-last candidate with drop-path and the auxiliary head, four workers sharing one GPU, an out-of-memory
candidate that the search survives, and latency limits measured on ``cuda``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
import torch

from pnas.data import DeviceImageLoader, DigitsDataModule
from pnas.data.synthetic import SyntheticCIFAR10DataModule
from pnas.module import PNASModule
from pnas.search import Constraints, Execution, LightningEvaluator, ProgressiveSearch, SearchTrainer, Tracking
from pnas.space import one_block_cells

pytestmark = pytest.mark.cuda

#: Candidate ``Trainer`` settings on the GPU: one short epoch.
CUDA_TRAINER = dict(
    accelerator="cuda",
    devices=1,
    max_epochs=1,
    limit_train_batches=4,
    limit_val_batches=2,
    logger=False,
    enable_progress_bar=False,
    enable_model_summary=False,
)


def cuda_search(
    run_dir: Any, model: PNASModule | None = None, constraints: Constraints | None = None, **kwargs: Any
) -> Any:
    """A B=2, K=2 digits search with 4 one-block cells trained on the GPU, W&B off; ``kwargs`` set its execution."""
    template = model or PNASModule(num_classes=10, in_channels=1, num_cells=1, filters=8)
    strategy = ProgressiveSearch(max_blocks=2, beam_size=2, initial_cells=4)
    options = dict(
        execution=Execution(**kwargs),
        constraints=constraints or Constraints(),
        progress=False,
        tracking=Tracking(mode="disabled"),
        run_dir=str(run_dir),
    )
    return SearchTrainer(**CUDA_TRAINER).search(template, DigitsDataModule(), strategy, **options)


def test_device_loader_on_cuda_makes_the_cpu_batches():
    images = torch.randint(0, 256, (300, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    labels = torch.randint(0, 10, (300,), generator=torch.Generator().manual_seed(1))
    settings = dict(mean=(125.3, 122.9, 113.9), std=(63.0, 62.1, 66.7), shuffle=True, pad=4, flip=True, seed=3)
    on_cpu = DeviceImageLoader(images, labels, 64, channels_last=True, **settings)
    on_gpu = on_cpu.to("cuda")
    for _ in range(2):  # two epochs: the second draws a new order and new augmentation on both
        for (x_cpu, y_cpu), (x_gpu, y_gpu) in zip(on_cpu, on_gpu, strict=True):
            assert x_gpu.is_cuda and x_gpu.is_contiguous(memory_format=torch.channels_last)
            assert torch.equal(y_gpu.cpu(), y_cpu)
            torch.testing.assert_close(x_gpu.cpu(), x_cpu, rtol=0, atol=1e-5)


def test_cifar10_on_device_candidate_keeps_its_images_on_the_gpu(tmp_path):
    data = SyntheticCIFAR10DataModule(
        data_dir=str(tmp_path), train_size=512, val_size=256, batch_size=64, on_device=True
    )
    template = PNASModule(num_cells=1, filters=8, channels_last=True)
    evaluator = LightningEvaluator(template, data, {**CUDA_TRAINER, "precision": "bf16-mixed"})
    evaluation = evaluator.evaluate(one_block_cells()[0])
    evaluator.close()
    assert evaluation.status == "ok" and 0.0 <= evaluation.accuracy <= 1.0
    images = data.tensors.on(torch.device("cuda"))["train"][0]
    assert images.is_cuda and images.dtype == torch.uint8 and len(images) == 512


def test_bf16_channels_last_candidate_with_drop_path_and_aux_head_trains(tmp_path):
    data = SyntheticCIFAR10DataModule(
        data_dir=str(tmp_path), train_size=512, val_size=256, batch_size=64, on_device=True
    )
    template = PNASModule(num_cells=2, filters=8, channels_last=True, drop_path_keep_prob=0.7, aux_weight=0.4)
    kwargs = {**CUDA_TRAINER, "precision": "bf16-mixed", "max_epochs": 2}
    evaluation = LightningEvaluator(template, data, kwargs).evaluate(one_block_cells()[5])
    assert evaluation.status == "ok", evaluation.error
    assert math.isfinite(evaluation.accuracy) and len(evaluation.history["val/acc"]) == 2


def test_four_workers_share_one_gpu(tmp_path):
    result = cuda_search(tmp_path, workers=4)
    assert len(result.candidates) == 6
    assert all(record.status == "ok" for record in result.candidates), [r.error for r in result.candidates]
    assert (tmp_path / "best.ckpt").is_file()


class OutOfMemoryModule(PNASModule):
    """A ``PNASModule`` whose candidate for one cell asks the GPU for a terabyte in its first training step."""

    def __init__(self, genotype: str = "pnasnet5", out_of_memory_cell: str = "", filters: int = 8) -> None:
        super().__init__(genotype, num_classes=10, in_channels=1, num_cells=1, filters=filters)
        self.save_hyperparameters()
        self.out_of_memory_cell = out_of_memory_cell

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        if self.hparams.genotype == self.out_of_memory_cell:
            torch.empty(2**40, dtype=torch.uint8, device=self.device)
        return super().training_step(batch, batch_idx)


def test_an_out_of_memory_candidate_fails_alone_and_the_search_goes_on(tmp_path):
    drawn = np.random.default_rng(0).choice(136, 4, replace=False)  # step 1's seeded draw of 4 one-block cells
    doomed = str(one_block_cells()[int(sorted(drawn)[1])])
    template = OutOfMemoryModule(out_of_memory_cell=doomed)
    result = cuda_search(tmp_path, model=template)
    statuses = {record.cell: record.status for record in result.candidates}
    assert statuses.pop(doomed) == "failed" and set(statuses.values()) == {"ok"} and len(statuses) == 5
    failed = next(record for record in result.candidates if record.cell == doomed)
    assert "out of memory" in failed.error.lower()
    assert torch.cuda.memory_allocated() < 2**30  # what the failed candidate held was given back


def test_latency_limit_measured_on_cuda(tmp_path):
    result = cuda_search(tmp_path, constraints=Constraints(max_latency_ms=1_000.0, latency_device="cuda"))
    timings = json.loads((tmp_path / "latency.json").read_text())  # cell -> milliseconds
    assert len(result.candidates) == 6 and timings
    assert all(0.0 < milliseconds < 1_000.0 for milliseconds in timings.values())


def test_ray_actors_get_a_share_of_the_gpu(tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed")
    result = cuda_search(tmp_path, executor="ray", workers=2, num_cpus=1, num_gpus=0.5)
    assert len(result.candidates) == 6 and all(record.status == "ok" for record in result.candidates)
