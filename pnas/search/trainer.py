"""A Lightning ``Trainer`` that also runs a PNAS search, with its own settings applied to every candidate."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytorch_lightning as pl
from pytorch_lightning.loggers import WandbLogger

from pnas.errors import ConfigError
from pnas.module import PNASModule
from pnas.search.callbacks import SearchCallback
from pnas.search.evaluator import LightningEvaluator
from pnas.search.loop import SearchResult, run_search
from pnas.search.progressive import ProgressiveSearch

__all__ = ["SearchTrainer"]


class SearchTrainer(pl.Trainer):
    """``pytorch_lightning.Trainer`` with a :meth:`search` method.

    Every ``Trainer`` argument given here (``max_epochs``, ``accelerator``, ``precision``, ...) is used to train
    each candidate of a search; loggers, callbacks and progress bars are per-run settings and are not copied.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.candidate_trainer_kwargs = dict(kwargs)

    def search(
        self,
        model: PNASModule,
        datamodule: pl.LightningDataModule,
        max_blocks: int = 3,
        beam_size: int = 8,
        surrogate: Literal["lstm", "mlp"] = "lstm",
        initial_cells: int | None = None,
        run_dir: str = "runs/search",
        seed: int = 0,
        progress: bool = True,
        verbose: bool = False,
        wandb: Literal["offline", "online", "disabled"] | None = None,
        wandb_project: str = "pnas",
        max_consecutive_failures: int = 5,
        config: dict[str, Any] | None = None,
        callbacks: list[SearchCallback] | None = None,
    ) -> SearchResult:
        """Run a progressive neural architecture search (PNAS) and record it in ``run_dir``.

        Args:
            model: Template for every candidate: its settings (num_cells, filters, optimizer, ...) are reused,
                its genotype is replaced by each candidate's cell.
            datamodule: Data every candidate trains, validates and (the best one) tests on.
            max_blocks: B, blocks per cell at the end of the search.
            beam_size: K, candidates trained at every step after the first, and kept in the beam.
            surrogate: Accuracy predictor that ranks the children of the beam: the LSTM ensemble or the MLP one.
            initial_cells: Train only this many of the 136 one-block cells at the first step (all when unset).
            run_dir: Directory for the records (search.sqlite, candidates.csv, best_genotype.json, ...). Running
                again with the same run_dir resumes the search: finished candidates are not trained again.
            seed: Seed of the first-step sample, the surrogate, and each candidate's initialisation.
            progress: Show progress bars and a line per step.
            verbose: Show Lightning's own output for every candidate.
            wandb: Weights & Biases mode of the search's run: offline (written under run_dir, upload later with
                ``wandb sync``), online, or disabled. Unset: ``WANDB_MODE`` from the environment, else offline. A
                ``WandbLogger`` given to this trainer as ``logger`` is used as it is.
            wandb_project: W&B project of the search's run.
            max_consecutive_failures: Stop the search when this many candidates in a row fail (each failure is
                recorded with its error in candidates.csv).
            config: Settings to store as config.yaml (the ``pnas search`` command stores its full config).
            callbacks: Further :class:`~pnas.search.SearchCallback` hooks.
        """
        if self.max_epochs is None or self.max_epochs < 1:
            raise ConfigError(f"max_epochs (epochs per candidate) must be >= 1, got {self.max_epochs}")
        if max_consecutive_failures < 1:
            raise ConfigError(f"max_consecutive_failures must be >= 1, got {max_consecutive_failures}")
        model_kwargs = {key: value for key, value in model.hparams.items() if not key.startswith("_")}
        model_kwargs.update(optimizer=model.optimizer_factory, lr_scheduler=model.scheduler_factory)
        strategy = ProgressiveSearch(max_blocks, beam_size, surrogate, initial_cells, seed)
        best_path = Path(run_dir) / "best_candidate.pt"
        if not (Path(run_dir) / "search.sqlite").exists() and best_path.is_file():
            best_path.unlink()  # weights of an earlier, unrelated search
        evaluator = LightningEvaluator(
            datamodule, model_kwargs, self.candidate_trainer_kwargs, seed, verbose, best_path=best_path
        )
        evaluator.check_data()
        from pnas.tracking import WandbSearchLogger  # pnas.tracking imports pnas.search: import it on use

        own_logger = self.logger if isinstance(self.logger, WandbLogger) else None
        tracker = WandbSearchLogger(wandb_project, mode=wandb, logger=own_logger)
        hooks = [tracker, *(callbacks or [])]
        fingerprint = _fingerprint(model, model_kwargs, evaluator.trainer_kwargs, datamodule)
        fingerprint["search"] = {
            "beam_size": beam_size,
            "surrogate": surrogate,
            "initial_cells": initial_cells,
            "seed": seed,
        }
        if config is None:  # called from Python: store the settings that define this search
            config = {**fingerprint, "search": {**fingerprint["search"], "max_blocks": max_blocks}}
        elif isinstance(config.get("model"), dict):  # the CLI's full model config, optimizer included
            fingerprint["model"]["config"] = {k: v for k, v in config["model"].items() if k != "genotype"}
        return run_search(
            strategy,
            evaluator,
            run_dir,
            config=config,
            progress=progress,
            callbacks=hooks,
            fingerprint=fingerprint,
            max_consecutive_failures=max_consecutive_failures,
        )


def _fingerprint(
    model: PNASModule, model_kwargs: dict[str, Any], trainer_kwargs: dict[str, Any], datamodule: Any
) -> dict[str, Any]:
    """The settings a resumed search must share with the stored one (all but the search's own arguments)."""
    return {
        "model": {
            **{k: v for k, v in model_kwargs.items() if k != "genotype" and isinstance(v, (int, float, str))},
            "optimizer": _describe(model.optimizer_factory),
            "lr_scheduler": _describe(model.scheduler_factory),
        },
        "trainer": {
            k: v
            for k, v in trainer_kwargs.items()
            if isinstance(v, (int, float, str, bool)) and k != "logger" and not k.startswith("enable_")
        },
        "data": {"class": type(datamodule).__qualname__, **_plain(getattr(datamodule, "hparams", {}))},
    }


def _describe(factory: Any) -> str | None:
    """A stable description of an optimizer or scheduler factory: its class or function and its arguments."""
    if factory is None:
        return None
    func = getattr(factory, "func", factory)
    name = f"{getattr(func, '__module__', '')}.{getattr(func, '__qualname__', type(func).__name__)}"
    arguments = {**getattr(factory, "keywords", {}), **getattr(factory, "kwargs", {})}
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in sorted(arguments.items()))})"


def _plain(values: Any) -> dict[str, Any]:
    """The JSON-ready scalar entries of a mapping (hyperparameters of a data module)."""
    return {k: v for k, v in dict(values).items() if isinstance(v, (int, float, str, bool)) or v is None}
