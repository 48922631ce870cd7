"""Where a candidate's time goes: data path, worker processes, Lightning's fixed cost, and the paper's search.

Five sections (``compile`` only when asked for), each measured side by side in one run: after one untimed
warm-up of each thing compared, their timed repeats are interleaved (A, B, A, B, ...), and the tables show
medians over ``--repeats``.

- ``data``: CIFAR-shaped random images (written to a temporary folder in CIFAR-10's on-disk format, no download)
  through ``CIFAR10DataModule``'s ``DataLoader`` path (torchvision transforms in ``--loader-workers`` persistent
  processes) and its device-resident path (``on_device=True``). Images/s of one training epoch of data alone, each
  batch moved to the device as Lightning does; then seconds per candidate and images/s (train + val) of one tiny
  candidate (N=1, F=4, a 1-block cell, 1 epoch) trained by ``LightningEvaluator`` on each.
- ``workers``: tiny candidates on the digits (N=1, F=4, 1 epoch of a few batches), ``LightningEvaluator(workers=1)``
  in this process with all cores vs ``workers=N`` (this process and N-1 worker processes) with ``cores // N``
  torch threads per candidate, on the same cells; candidates/hour of each and the ratio. The first call of each is
  a warm-up that trains one cell per worker; "worker start-up s" is that call less one round of the timed call.
- ``lightning``: one candidate (by default the first 2 blocks of PNASNet-5, N=1, F=8, 1 epoch of 2,048 images:
  about 10 s on 2 CPU cores) as the search trains it (``LightningEvaluator.evaluate``: a fresh ``Trainer``, no
  sanity check, the weights copied out) vs a plain PyTorch loop on the same network, seed, optimizer and schedule
  (SGD, lr 0.05, momentum 0.9, Nesterov, wd 3e-4, cosine per step), loss and device-resident loaders (training,
  then one validation pass per epoch computing accuracy). The ratio, Lightning's extra time on that candidate
  (Lightning s - plain s), and the fixed cost per candidate: the same difference on a candidate of one training
  and one validation batch, where the work itself is next to nothing.
- ``paper``: training and validation images/s of one paper-setting candidate (N=2, F=24, the 5-block PNASNet-5
  cell, gradient clipping 5, as configs/search/cifar10_paper.yaml) over ``--paper-batches`` batches of 128 through
  the Lightning candidate path, extrapolated with nothing subtracted: 20 epochs x (45,000 / train img/s + 5,000 /
  val img/s) per candidate, 1,160 candidates one at a time for the search. With ``--paper-workers 1,2,4`` (for a
  GPU) also K candidates at once for each K > 1: the effective seconds per measured candidate (wall / K), the
  speed-up over one at a time, and the extrapolation divided by it.
- ``compile``: the paper-setting network's training step in a plain loop, eager vs ``torch.compile``: step time
  after a warm-up, the compilation's cost per candidate, and whether it pays over a paper candidate's 20 epochs.

Targets. CPU, 2 cores: a Lightning candidate <= 1.15x the plain loop and <= 0.5 s fixed cost per candidate;
workers=2 >= 1.6x the candidates/hour of workers=1 on tiny candidates. GPU, H100: a paper-setting candidate in
<= 30 s effective time with concurrent candidates; the paper's search <= 10 H100-hours.

    python benchmarks/candidate_throughput.py [--repeats 3] [--workers 2] [--sections data,workers,lightning,paper]
        [--accelerator auto|cpu|cuda] [--precision 32-true|bf16-mixed] [--channels-last | --no-channels-last]
        [--images 4096] [--lightning-images 2048] [--filters 8] [--epochs 1] [--paper-batches 20]
        [--paper-workers 1,2,4] [--compile-steps 30] [--quick] [--json results.json]      (--help lists every flag)
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, median, table  # noqa: E402

from pnas.data import DigitsDataModule  # noqa: E402
from pnas.data.synthetic import SyntheticCIFAR10DataModule, write_cifar10_like  # noqa: E402
from pnas.module import PNASModule  # noqa: E402
from pnas.resources import usable_cores  # noqa: E402
from pnas.search import LightningEvaluator  # noqa: E402
from pnas.search.evaluation.candidates import quiet_lightning  # noqa: E402
from pnas.space import GENOTYPES, Cell, one_block_cells  # noqa: E402

SECTIONS = ("data", "workers", "lightning", "paper", "compile")
BATCH = 128
PAPER_CANDIDATES, PAPER_EPOCHS, PAPER_TRAIN, PAPER_VAL = 1160, 20, 45_000, 5_000
TINY_FILTERS = 4


class PhaseClock(pl.Callback):
    """Times the training part and the validation part of a one-epoch fit, the device synchronized at each mark.

    Training runs from the start of the epoch to the start of its validation (Lightning validates inside the
    training epoch), validation from there to its end. The evaluator gives each candidate a deep copy of its
    callbacks; a copy of this one is itself, so the marks can be read afterwards.
    """

    def __init__(self) -> None:
        self.marks: dict[str, float] = {}

    def __deepcopy__(self, memo: dict[int, Any]) -> PhaseClock:
        return self

    def _mark(self, trainer: pl.Trainer, name: str) -> None:
        sync(trainer.strategy.root_device)
        self.marks.setdefault(name, time.perf_counter())

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._mark(trainer, "train")

    def on_validation_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._mark(trainer, "val")

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._mark(trainer, "end")

    def take(self) -> tuple[float, float]:
        """Training seconds and validation seconds of the last fit; the marks are cleared for the next."""
        marks, self.marks = self.marks, {}
        return marks["val"] - marks["train"], marks["end"] - marks["val"]


class Settings:
    """Sizes of every section, from the command line (``--quick`` shrinks the defaults)."""

    def __init__(self, args: argparse.Namespace) -> None:
        quick, cuda = args.quick, args.accelerator == "cuda"
        self.repeats: int = args.repeats or (1 if quick else 3)
        self.images: int = args.images or (512 if quick else 4096)
        self.val_images: int = args.val_images or max(BATCH, self.images // 4)
        self.worker_cells: int = args.worker_cells or (2 if quick else 8) * args.workers
        self.worker_batches: int = args.worker_batches or (2 if quick else 4)
        self.cell = Cell(GENOTYPES["pnasnet5"].blocks[: args.blocks])
        self.num_cells: int = args.num_cells
        self.filters: int = args.filters or (4 if quick else 8)
        self.epochs: int = args.epochs or 1
        self.lightning_images: int = args.lightning_images or (256 if quick else 2048)
        self.paper_batches: int = args.paper_batches or (2 if quick else 100 if cuda else 20)
        self.paper_val_batches: int = args.paper_val_batches or max(1, self.paper_batches // 4)
        self.compile_steps: int = args.compile_steps or (4 if quick else 30)
        paper = "paper" in args.sections
        compiled = self.compile_steps * BATCH if "compile" in args.sections else 0
        self.train_files = max(self.images, self.lightning_images, self.paper_batches * BATCH if paper else 0, compiled)
        self.val_files = max(self.val_images, self.paper_val_batches * BATCH if paper else 0)


# ---------------------------------------------------------------------------------------------------- helpers


def sync(device: torch.device) -> None:
    """Wait for the device's queued work (CUDA), so a clock read after it covers that work."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def clock(function: Callable[[], Any], device: torch.device) -> float:
    """Seconds ``function`` took, the device synchronized before and after."""
    sync(device)
    start = time.perf_counter()
    function()
    sync(device)
    return time.perf_counter() - start


def interleaved(functions: dict[Any, Callable[[], Any]], repeats: int, device: torch.device) -> dict[Any, list[float]]:
    """Time each function ``repeats`` times, round-robin, so drift of the machine affects them alike."""
    seconds: dict[Any, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            seconds[name].append(clock(function, device))
    return seconds


def check(evaluations: Iterable[Any]) -> None:
    """Stop with the error when a candidate failed: a failed candidate times nothing useful."""
    for evaluation in evaluations:
        if evaluation.status != "ok":
            raise SystemExit(f"a candidate failed: {evaluation.error}")


def evaluate_all(evaluator: LightningEvaluator, cells: list[Any]) -> None:
    """Train ``cells`` with ``evaluator``'s executor, as a search step does; stop if one failed."""
    check(evaluation for _, evaluation in evaluator.evaluate_all(cells))


def fmt(value: float, digits: int = 2) -> str:
    """``value`` with thousands separators and ``digits`` decimals."""
    return f"{value:,.{digits}f}"


def cifar(
    root: Path, train_size: int, val_size: int, on_device: bool, loader_workers: int = 0
) -> SyntheticCIFAR10DataModule:
    """A set-up CIFAR-like data module on the files in ``root``."""
    datamodule = SyntheticCIFAR10DataModule(
        data_dir=str(root),
        batch_size=BATCH,
        train_size=train_size,
        val_size=val_size,
        num_workers=loader_workers,
        on_device=on_device,
    )
    datamodule.setup("fit")
    return datamodule


def trainer_kwargs(args: argparse.Namespace, epochs: int, **extra: Any) -> dict[str, Any]:
    """The candidates' ``Trainer`` settings of this run (``extra`` added)."""
    return {
        "max_epochs": epochs,
        "accelerator": args.accelerator,
        "devices": 1,
        "precision": args.precision,
        "logger": False,
        "deterministic": False,
        "benchmark": args.accelerator == "cuda",
        **extra,
    }


def network(args: argparse.Namespace, cell: Cell, num_cells: int, filters: int, in_channels: int = 3) -> PNASModule:
    """A ``PNASModule`` with this run's memory format."""
    return PNASModule(
        genotype=cell,
        num_classes=10,
        in_channels=in_channels,
        num_cells=num_cells,
        filters=filters,
        channels_last=args.channels_last,
    )


# ---------------------------------------------------------------------------------------------------- sections


def data_section(args: argparse.Namespace, settings: Settings, root: Path, device: torch.device) -> dict[str, Any]:
    """DataLoader path vs device-resident path: one epoch of data alone, and one tiny candidate on each."""
    sizes = (settings.images, settings.val_images)
    modules = {
        "DataLoader": cifar(root, *sizes, on_device=False, loader_workers=args.loader_workers),
        "on_device": cifar(root, *sizes, on_device=True),
    }
    loaders = {name: datamodule.train_dataloader() for name, datamodule in modules.items()}
    loaders["on_device"] = loaders["on_device"].to(device)

    def epoch(loader: Any) -> None:
        for images, labels in loader:
            images.to(device, non_blocking=True)
            labels.to(device, non_blocking=True)

    for loader in loaders.values():  # warm-up: the DataLoader's (persistent) worker processes start
        epoch(loader)
    epochs = interleaved(
        {name: (lambda loader=loader: epoch(loader)) for name, loader in loaders.items()}, settings.repeats, device
    )

    cell = one_block_cells()[0]
    template = network(args, cell, 1, TINY_FILTERS)
    evaluators = {name: LightningEvaluator(template, dm, trainer_kwargs(args, 1)) for name, dm in modules.items()}
    for evaluator in evaluators.values():
        check([evaluator.evaluate(cell)])
    candidates = interleaved(
        {name: (lambda e=e: check([e.evaluate(cell)])) for name, e in evaluators.items()}, settings.repeats, device
    )
    for evaluator in evaluators.values():
        evaluator.close()

    figures: dict[str, Any] = {}
    rows = []
    for name, loader in loaders.items():
        epoch_images = len(loader) * BATCH if name == "on_device" else settings.images  # on_device drops the last
        candidate_images = epoch_images + settings.val_images
        epoch_s, candidate_s = median(epochs[name]), median(candidates[name])
        figures[name] = {
            "epoch_images": epoch_images,
            "epoch_seconds": epoch_s,
            "epoch_images_per_s": epoch_images / epoch_s,
            "candidate_seconds": candidate_s,
            "candidate_images_per_s": candidate_images / candidate_s,
        }
        rows.append(
            [
                name,
                epoch_images,
                fmt(epoch_s, 3),
                fmt(epoch_images / epoch_s, 0),
                fmt(candidate_s),
                fmt(candidate_images / candidate_s, 0),
            ]
        )
    data_x = figures["on_device"]["epoch_images_per_s"] / figures["DataLoader"]["epoch_images_per_s"]
    candidate_x = figures["DataLoader"]["candidate_seconds"] / figures["on_device"]["candidate_seconds"]
    figures.update(on_device_vs_loader_data=data_x, on_device_vs_loader_candidates=candidate_x)
    print(
        f"\n## data: DataLoader ({args.loader_workers} workers) vs device-resident; {settings.images} train + "
        f"{settings.val_images} val CIFAR-shaped images, batch {BATCH}; candidate N=1, F={TINY_FILTERS}, 1 epoch, "
        f"cell {cell}"
    )
    headers = ["path", "epoch images", "epoch s", "data img/s", "s per candidate", "candidate img/s (train+val)"]
    print(table(headers, rows))
    print(f"device-resident vs DataLoader: {data_x:.2f}x the data images/s, {candidate_x:.2f}x the candidates/s")
    return figures


def workers_section(args: argparse.Namespace, settings: Settings, device: torch.device) -> dict[str, Any]:
    """One in-process worker with all cores vs N worker processes with a share each, on tiny digits candidates."""
    cores, count = usable_cores(), args.workers
    cells = one_block_cells()[: settings.worker_cells]
    template = network(args, cells[0], 1, TINY_FILTERS, in_channels=1)
    kwargs = trainer_kwargs(args, 1, limit_train_batches=settings.worker_batches, limit_val_batches=1)
    threads = {1: cores, count: max(1, cores // count)}
    torch.set_num_threads(cores)  # one process using the whole machine vs N processes with a share each
    evaluators = {
        1: LightningEvaluator(template, DigitsDataModule(batch_size=64), kwargs, workers=1, num_cpus=threads[1]),
        count: LightningEvaluator(
            template, DigitsDataModule(batch_size=64), kwargs, workers=count, num_cpus=threads[count]
        ),
    }
    warm = {n: clock(lambda e=e: evaluate_all(e, cells[:count]), device) for n, e in evaluators.items()}
    seconds = interleaved(
        {n: (lambda e=e: evaluate_all(e, cells)) for n, e in evaluators.items()}, settings.repeats, device
    )
    for evaluator in evaluators.values():
        evaluator.close()

    figures: dict[str, Any] = {"cores": cores, "cells": len(cells)}
    rows = []
    for n in evaluators:
        call_s = median(seconds[n])
        start_up = max(0.0, warm[n] - call_s * count / len(cells))  # the warm-up trained one round of cells
        per_hour = len(cells) / call_s * 3600
        figures[f"workers_{n}"] = {
            "threads": threads[n],
            "warm_up_seconds": warm[n],
            "worker_start_up_seconds": start_up,
            "call_seconds": call_s,
            "candidates_per_hour": per_hour,
        }
        rows.append([n, threads[n], len(cells), fmt(warm[n]), fmt(start_up), fmt(call_s), fmt(per_hour, 0)])
    ratio = figures[f"workers_{count}"]["candidates_per_hour"] / figures["workers_1"]["candidates_per_hour"]
    figures["ratio"] = ratio
    print(
        f"\n## workers: {len(cells)} tiny candidates per call (digits, N=1, F={TINY_FILTERS}, 1 epoch of "
        f"{settings.worker_batches} batches of 64 + 1 val batch), {cores} cores"
    )
    headers = ["workers", "threads each", "cells", "warm-up call s", "worker start-up s", "call s", "candidates/h"]
    print(table(headers, rows))
    print(f"workers={count} vs workers=1: {ratio:.2f}x the candidates/hour (target >= 1.6x on 2 CPU cores)")
    return figures


def plain_loop(
    args: argparse.Namespace,
    settings: Settings,
    datamodule: SyntheticCIFAR10DataModule,
    device: torch.device,
    batches: int | None = None,
) -> float:
    """Train the candidate network in a plain PyTorch loop, as ``PNASModule`` with its defaults would; last val acc.

    ``batches`` limits every epoch's training and validation passes to that many batches, as Lightning's
    ``limit_train_batches``/``limit_val_batches`` do.
    """
    torch.manual_seed(0)
    model = network(args, settings.cell, settings.num_cells, settings.filters).to(device)
    train, val = datamodule.train_dataloader().to(device), datamodule.val_dataloader().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=3e-4)
    steps = len(train) if batches is None else min(batches, len(train))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, settings.epochs * steps))

    def autocast() -> Any:
        bf16 = args.precision == "bf16-mixed"
        return torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()

    accuracy = 0.0
    for _ in range(settings.epochs):
        model.train()
        for images, labels in itertools.islice(train, batches):
            with autocast():
                loss = model.loss(model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
        model.eval()
        correct, total = torch.zeros((), dtype=torch.int64, device=device), 0
        with torch.inference_mode(), autocast():
            for images, labels in itertools.islice(val, batches):
                correct += (model(images).argmax(1) == labels).sum()
                total += len(labels)
        accuracy = correct.item() / total
    return accuracy


def lightning_section(args: argparse.Namespace, settings: Settings, root: Path, device: torch.device) -> dict[str, Any]:
    """A candidate through ``LightningEvaluator`` vs the same training in a plain loop."""
    datamodule = cifar(root, settings.lightning_images, settings.val_images, on_device=True)
    template = network(args, settings.cell, settings.num_cells, settings.filters)
    evaluator = LightningEvaluator(template, datamodule, trainer_kwargs(args, settings.epochs))
    one_batch = LightningEvaluator(
        template, datamodule, trainer_kwargs(args, settings.epochs, limit_train_batches=1, limit_val_batches=1)
    )
    check([evaluator.evaluate(settings.cell), one_batch.evaluate(settings.cell)])  # warm-up: kernels, device copy
    seconds = interleaved(
        {
            "Lightning": lambda: check([evaluator.evaluate(settings.cell)]),
            "plain": lambda: plain_loop(args, settings, datamodule, device),
            "Lightning, 1 batch": lambda: check([one_batch.evaluate(settings.cell)]),
            "plain, 1 batch": lambda: plain_loop(args, settings, datamodule, device, batches=1),
        },
        settings.repeats,
        device,
    )
    evaluator.close()
    one_batch.close()
    lightning_s, plain_s = median(seconds["Lightning"]), median(seconds["plain"])
    ratio, overhead = lightning_s / plain_s, lightning_s - plain_s
    paired = median([a - b for a, b in zip(seconds["Lightning"], seconds["plain"], strict=True)])
    fixed = median([a - b for a, b in zip(seconds["Lightning, 1 batch"], seconds["plain, 1 batch"], strict=True)])
    print(
        f"\n## lightning: one candidate, N={settings.num_cells}, F={settings.filters}, {settings.epochs} epoch(s) "
        f"of {settings.lightning_images} train + {settings.val_images} val images (device-resident), cell "
        f"{settings.cell}"
    )
    names = {
        "Lightning": "LightningEvaluator.evaluate",
        "plain": "plain PyTorch loop",
        "Lightning, 1 batch": "LightningEvaluator.evaluate, 1 train + 1 val batch",
        "plain, 1 batch": "plain PyTorch loop, 1 train + 1 val batch",
    }
    rows = [[label, fmt(median(seconds[key]), 3), fmt(min(seconds[key]), 3)] for key, label in names.items()]
    print(table(["candidate", "median s", "min s"], rows))
    print(
        f"Lightning / plain: {ratio:.3f}x (target <= 1.15x on 2 CPU cores); Lightning's extra time on this candidate "
        f"{overhead:.3f} s (median of the paired differences {paired:.3f} s)"
    )
    print(
        f"fixed cost per candidate (Lightning - plain on one training and one validation batch, median of the paired "
        f"differences): {fixed:.3f} s (target <= 0.5 s)"
    )
    return {
        "lightning_seconds": lightning_s,
        "plain_seconds": plain_s,
        "ratio": ratio,
        "overhead_seconds": overhead,
        "overhead_seconds_paired": paired,
        "fixed_seconds": fixed,
        "one_batch_seconds": {key: median(seconds[key]) for key in ("Lightning, 1 batch", "plain, 1 batch")},
    }


def paper_section(args: argparse.Namespace, settings: Settings, root: Path, device: torch.device) -> dict[str, Any]:
    """Training and validation throughput of a paper-setting candidate, extrapolated to the paper's search."""
    cell = GENOTYPES["pnasnet5"]
    train_images, val_images = settings.paper_batches * BATCH, settings.paper_val_batches * BATCH
    datamodule = cifar(root, train_images, val_images, on_device=True)
    template = network(args, cell, 2, 24)
    limits = {"limit_train_batches": settings.paper_batches, "limit_val_batches": settings.paper_val_batches}
    kwargs = trainer_kwargs(args, 1, gradient_clip_val=5.0, **limits)
    phases = PhaseClock()
    evaluator = LightningEvaluator(template, datamodule, {**kwargs, "callbacks": [phases]})
    warm_kwargs = {**kwargs, "limit_train_batches": 2, "limit_val_batches": 1}
    check([LightningEvaluator(template, datamodule, warm_kwargs).evaluate(cell)])  # warm-up: kernels, data copy
    train_s, val_s, wall_s = [], [], []
    for _ in range(settings.repeats):
        wall_s.append(clock(lambda: check([evaluator.evaluate(cell)]), device))
        train, val = phases.take()
        train_s.append(train)
        val_s.append(val)
    evaluator.close()
    train_ips, val_ips, wall = train_images / median(train_s), val_images / median(val_s), median(wall_s)
    candidate_s = PAPER_EPOCHS * (PAPER_TRAIN / train_ips + PAPER_VAL / val_ips)
    search_h = PAPER_CANDIDATES * candidate_s / 3600
    figures: dict[str, Any] = {
        "train_images_per_s": train_ips,
        "val_images_per_s": val_ips,
        "measured_seconds": wall,
        "candidate_seconds": candidate_s,
        "search_device_hours": search_h,
    }
    rows = [["1 at a time", fmt(train_ips, 0), fmt(val_ips, 0), fmt(wall), fmt(candidate_s, 1), fmt(search_h, 1)]]
    for count in (k for k in args.paper_workers if k > 1):
        pool = LightningEvaluator(template, datamodule, kwargs, workers=count)
        cells = [cell] * count
        evaluate_all(pool, cells)  # warm-up: the workers start and load the data
        timed = interleaved({"pool": lambda p=pool, c=cells: evaluate_all(p, c)}, settings.repeats, device)
        concurrent = median(timed["pool"])
        pool.close()
        effective = concurrent / count
        speedup = wall / effective
        figures[f"concurrent_{count}"] = {
            "workers": count,
            "wall_seconds": concurrent,
            "effective_seconds": effective,
            "speedup": speedup,
            "candidate_seconds": candidate_s / speedup,
            "search_device_hours": search_h / speedup,
        }
        rows.append(
            [
                f"{count} at once",
                fmt(train_ips * speedup, 0),
                fmt(val_ips * speedup, 0),
                f"{fmt(effective)} (wall {fmt(concurrent)} / {count})",
                fmt(candidate_s / speedup, 1),
                fmt(search_h / speedup, 1),
            ]
        )
        print(f"{count} at once: {speedup:.2f}x one at a time", flush=True)
    best = min(
        (value for key, value in figures.items() if key.startswith("concurrent_")),
        key=lambda value: value["search_device_hours"],
        default=None,
    )
    figures["best_search_device_hours"] = search_h if best is None else min(search_h, best["search_device_hours"])
    print(
        f"\n## paper: PNASNet-5 cell, N=2, F=24, batch {BATCH}, {settings.paper_batches} train + "
        f"{settings.paper_val_batches} val batches measured (Lightning candidate path), extrapolated to "
        f"{PAPER_EPOCHS} epochs x ({PAPER_TRAIN:,} + {PAPER_VAL:,} images) and {PAPER_CANDIDATES:,} candidates"
    )
    headers = [
        "candidates",
        "train img/s",
        "val img/s",
        "measured s per candidate",
        "s per paper candidate",
        "search h",
    ]
    print(table(headers, rows))
    print("K at once: the img/s are one candidate's times the speed-up over one at a time")
    print(f"the paper's search at the best of these: {figures['best_search_device_hours']:.1f} device-hours")
    print("targets (H100): <= 30 s per paper candidate with concurrent candidates; the search <= 10 device-hours")
    return figures


def compile_section(args: argparse.Namespace, settings: Settings, root: Path, device: torch.device) -> dict[str, Any]:
    """The paper-setting network's training step eager and under ``torch.compile``: does compiling pay?

    A plain PyTorch loop (as :func:`plain_loop`) on the same fixed batches for both. The first compiled steps hold
    the compilation; it pays when what it saves per step, over a paper candidate's 20 epochs of 45,000 images,
    exceeds that cost (each candidate is a new network, so each compiles anew).
    """
    cell, steps = GENOTYPES["pnasnet5"], settings.compile_steps
    datamodule = cifar(root, max(steps, 2) * BATCH, BATCH, on_device=True)
    batches = list(itertools.islice(datamodule.train_dataloader().to(device), steps))
    warm = min(3, len(batches) - 1)
    bf16 = args.precision == "bf16-mixed"
    figures: dict[str, Any] = {"steps": len(batches), "warm_up_steps": warm}
    for mode in ("eager", "compiled"):
        torch.manual_seed(0)
        model = network(args, cell, 2, 24).to(device)
        run = torch.compile(model) if mode == "compiled" else model
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=3e-4)

        def step(images: torch.Tensor, labels: torch.Tensor, run: Any = run, model: Any = model, opt: Any = optimizer):
            with torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext():
                loss = model.loss(run(images), labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        try:
            first = clock(lambda step=step: [step(*batch) for batch in batches[:warm]], device)
            timed = clock(lambda step=step: [step(*batch) for batch in batches[warm:]], device)
        except Exception as error:  # a compiler that fails here is a finding, not a crash of the benchmark
            figures[mode] = {"error": f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"}
            continue
        step_s = timed / (len(batches) - warm)
        figures[mode] = {"warm_up_seconds": first, "step_seconds": step_s, "train_images_per_s": BATCH / step_s}
    rows = [
        [mode, fmt(value["warm_up_seconds"]), fmt(value["step_seconds"] * 1000), fmt(value["train_images_per_s"], 0)]
        for mode, value in figures.items()
        if isinstance(value, dict) and "step_seconds" in value
    ]
    print(
        f"\n## compile: paper-setting network (N=2, F=24, PNASNet-5 cell), plain training loop, {len(batches)} "
        f"batches of {BATCH}, the first {warm} timed apart (compilation, cuDNN choices)"
    )
    print(table(["mode", f"first {warm} steps s", "step ms after", "train img/s"], rows))
    eager, compiled = figures["eager"], figures["compiled"]
    if "error" in compiled or "error" in eager:
        print(f"torch.compile did not run: {compiled.get('error') or eager.get('error')}")
        figures["pays"] = False
        return figures
    steps_per_candidate = PAPER_EPOCHS * PAPER_TRAIN / BATCH
    saved = (eager["step_seconds"] - compiled["step_seconds"]) * steps_per_candidate
    cost = compiled["warm_up_seconds"] - eager["warm_up_seconds"]
    figures.update(
        speedup=eager["step_seconds"] / compiled["step_seconds"],
        compile_seconds=cost,
        saved_seconds_per_candidate=saved,
        pays=saved > cost,
    )
    print(
        f"compiled steps {figures['speedup']:.2f}x eager; compiling costs {cost:.1f} s per candidate and saves "
        f"{saved:.1f} s of a paper candidate's training: it {'pays' if saved > cost else 'does not pay'}"
    )
    return figures


# ---------------------------------------------------------------------------------------------------- main


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with the ``auto`` and device-dependent defaults resolved."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--repeats", type=int, help="timed repeats of each figure; the median is reported (3; --quick 1)")
    add("--workers", type=int, default=2, help="N of the workers section (2)")
    add("--accelerator", default="auto", choices=["auto", "cpu", "cuda"], help="auto: cuda if available, else cpu")
    add("--precision", choices=["32-true", "bf16-mixed"], help="bf16-mixed on CUDA, 32-true on the CPU")
    add("--channels-last", action=argparse.BooleanOptionalAction, help="PNASModule channels_last (on for CUDA)")
    add("--sections", default=",".join(SECTIONS[:4]), help=f"comma list of {', '.join(SECTIONS)} (all but compile)")
    add("--quick", action="store_true", help="tiny everything: a smoke run")
    add("--json", type=Path, help="write every figure, the settings and the machine to this file")
    data = parser.add_argument_group("data and lightning sections")
    data.add_argument("--images", type=int, help="train images of the data section (4096)")
    data.add_argument("--val-images", type=int, help="validation images (images / 4)")
    data.add_argument("--loader-workers", type=int, default=2, help="DataLoader worker processes (2)")
    data.add_argument("--lightning-images", type=int, help="train images of the lightning section (2048)")
    data.add_argument("--blocks", type=int, default=2, help="first blocks of PNASNet-5 as the lightning cell (2)")
    data.add_argument("--num-cells", type=int, default=1, help="N of the lightning candidate (1)")
    data.add_argument("--filters", type=int, help="F of the lightning candidate (8)")
    data.add_argument("--epochs", type=int, help="epochs of the lightning candidate (1)")
    more = parser.add_argument_group("workers and paper sections")
    more.add_argument("--worker-cells", type=int, help="cells per timed call of the workers section (4 N)")
    more.add_argument("--worker-batches", type=int, help="training batches of each tiny candidate (4)")
    more.add_argument("--paper-batches", type=int, help="train batches measured (20 on the CPU, 100 on CUDA)")
    more.add_argument("--paper-val-batches", type=int, help="validation batches measured (paper batches / 4)")
    more.add_argument(
        "--paper-workers", default="1", help="comma list of K: also K paper candidates at once for each K > 1 (1)"
    )
    more.add_argument("--compile-steps", type=int, help="training steps of the compile section (30; --quick 4)")
    args = parser.parse_args(argv)
    args.sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    try:
        args.paper_workers = sorted({int(k) for k in str(args.paper_workers).split(",") if k.strip()})
    except ValueError:
        parser.error(f"--paper-workers must be a comma list of integers, got {args.paper_workers!r}")
    unknown = sorted(set(args.sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections: {', '.join(unknown)} (choose from {', '.join(SECTIONS)})")
    if "workers" in args.sections and args.workers < 2:
        parser.error("--workers must be at least 2 for the workers section")
    if not 1 <= args.blocks <= 5:
        parser.error("--blocks must be 1..5")
    if args.accelerator == "auto":
        args.accelerator = "cuda" if torch.cuda.is_available() else "cpu"
    cuda = args.accelerator == "cuda"
    args.precision = args.precision or ("bf16-mixed" if cuda else "32-true")
    args.channels_last = cuda if args.channels_last is None else args.channels_last
    return args


def main(argv: list[str] | None = None) -> None:
    """Run the chosen sections, print their tables, and write ``--json``."""
    args = parse(argv)
    settings = Settings(args)
    device = torch.device("cuda", torch.cuda.current_device()) if args.accelerator == "cuda" else torch.device("cpu")
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    torch.set_num_threads(usable_cores())
    print(f"machine: {machine()}")
    print(f"device: {device_name}; torch {torch.__version__}, Lightning {pl.__version__}")
    print(
        f"precision {args.precision}, channels_last {args.channels_last}, {settings.repeats} repeat(s) per figure "
        f"(medians, interleaved after a warm-up){' (--quick)' if args.quick else ''}"
    )
    results: dict[str, Any] = {
        "machine": machine(),
        "device": device_name,
        "versions": {"torch": torch.__version__, "pytorch_lightning": pl.__version__},
        "settings": {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()},
        "repeats": settings.repeats,
    }
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pnas-throughput-") as folder, quiet_lightning():
        root = Path(folder)
        if {"data", "lightning", "paper", "compile"} & set(args.sections):
            write_cifar10_like(root, settings.train_files + settings.val_files, BATCH, seed=0)
        sections = {
            "data": lambda: data_section(args, settings, root, device),
            "workers": lambda: workers_section(args, settings, device),
            "lightning": lambda: lightning_section(args, settings, root, device),
            "paper": lambda: paper_section(args, settings, root, device),
            "compile": lambda: compile_section(args, settings, root, device),
        }
        for name in args.sections:
            results[name] = sections[name]()
            gc.collect()  # the section's data modules and loader processes go before the next one
            results["total_seconds"] = time.perf_counter() - start
            if args.json is not None:  # after every section: a run stopped later keeps what it measured
                args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\ntotal {results['total_seconds']:.0f} s")
    if args.json is not None:
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
