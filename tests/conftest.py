"""Shared fixtures: a strategy for random valid cells and tiny, fast training settings."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from pnas.space import OPS, Cell

#: ``Trainer`` arguments that make a training run take a second or two on a CPU.
TINY_TRAINER_KWARGS = dict(
    max_epochs=1,
    limit_train_batches=3,
    limit_val_batches=1,
    limit_test_batches=1,
    accelerator="cpu",
    deterministic=True,
    logger=False,
    enable_progress_bar=False,
    enable_model_summary=False,
)

#: Trainer/model overrides that make a CLI `fit` run take a few seconds on a CPU.
TINY_FIT_ARGS = [
    "--trainer.max_epochs=1",
    "--trainer.limit_train_batches=3",
    "--trainer.limit_val_batches=1",
    "--trainer.limit_test_batches=1",
    "--trainer.enable_progress_bar=false",
    "--trainer.enable_model_summary=false",
    "--model.num_cells=1",
    "--model.filters=4",
]

#: Overrides that cut a GPU training recipe (``configs/fit/*``) to a few CPU batches, its network at full size.
TINY_RECIPE_ARGS = [
    "--trainer.accelerator=cpu",
    "--trainer.precision=32-true",
    "--trainer.max_epochs=1",
    "--trainer.limit_train_batches=2",
    "--trainer.limit_val_batches=1",
    "--trainer.limit_test_batches=1",
    "--trainer.enable_progress_bar=false",
]


def tiny_search(
    run_dir: Path, trainer_kwargs: dict | None = None, model_kwargs: dict | None = None, **search_kwargs: Any
) -> Any:
    """A real progressive search on digits that takes seconds: B=2, K=2, 3 one-block cells, W&B off.

    ``search_kwargs`` are :meth:`SearchTrainer.search`'s arguments, except that the strategy's (``max_blocks``,
    ``beam_size``, ``surrogate``, ``initial_cells``), the constraints', the execution's and the W&B mode
    (``wandb``) are given by name and go into their groups here.
    """
    from dataclasses import replace

    from pnas.data import DigitsDataModule
    from pnas.module import PNASModule
    from pnas.search import Constraints, Execution, ProgressiveSearch, SearchTrainer, Tracking
    from pnas.search.flat_settings import FLAT_SETTINGS, split_flat_settings

    kwargs = {name: value for name, value in TINY_TRAINER_KWARGS.items() if name != "logger"}  # False: no W&B run
    trainer = SearchTrainer(**{**kwargs, **(trainer_kwargs or {})})
    template = PNASModule(**{"num_classes": 10, "in_channels": 1, "num_cells": 1, "filters": 4, **(model_kwargs or {})})
    options = {"max_blocks": 2, "beam_size": 2, "initial_cells": 3, "progress": False, "wandb": "disabled"}
    options.update(search_kwargs)
    group = split_flat_settings({name: options.pop(name) for name in list(options) if name in FLAT_SETTINGS})
    strategy = ProgressiveSearch(**group["strategy"], seed=options.get("seed", 0))
    constraints, execution = Constraints(**group["constraints"]), Execution(**group["execution"])
    tracking = replace(options.pop("tracking", Tracking()), **group["tracking"])
    return trainer.search(
        template, DigitsDataModule(), strategy, constraints, execution, tracking, run_dir=str(run_dir), **options
    )


def cli_error(capsys: pytest.CaptureFixture, args: list[str]) -> str:
    """Run ``pnas`` in-process with ``args``, which must stop with status 2 and a ``pnas: error:`` line; its stderr."""
    from pnas.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("pnas: error: ") and "Traceback" not in err
    return err


@st.composite
def cells(draw: st.DrawFn, max_blocks: int = 5) -> Cell:
    """Random valid cells of 1..max_blocks blocks, halves in any order."""
    num_blocks = draw(st.integers(1, max_blocks))
    blocks = []
    for position in range(1, num_blocks + 1):
        half = st.tuples(st.integers(0, position), st.sampled_from(OPS))
        (input_1, op_1), (input_2, op_2) = draw(half), draw(half)
        blocks.append((input_1, op_1, input_2, op_2))
    return Cell(tuple(blocks))


def random_cell(rng: random.Random, num_blocks: int) -> Cell:
    """A random valid cell drawn with ``rng``."""
    return Cell(
        tuple(
            (rng.randint(0, b), rng.choice(OPS), rng.randint(0, b), rng.choice(OPS)) for b in range(1, num_blocks + 1)
        )
    )


def permission_denied(self: Path) -> bytes:
    """Stands in for ``Path.read_bytes`` on a file without read permission (as root, chmod 0 does not stop reads)."""
    raise PermissionError(13, "Permission denied", str(self))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the ``cuda`` tests, saying why, where no CUDA GPU is visible."""
    if not any("cuda" in item.keywords for item in items):
        return
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU and none is visible (make gpu-check runs it on a GPU machine)")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _run_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test in its own directory, so nothing a test writes lands in the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """Torch on one thread for the test: on a busy 2-core machine its thread pool makes small fits many times slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def rng() -> random.Random:
    return random.Random(0)
