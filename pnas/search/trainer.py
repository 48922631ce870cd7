"""A Lightning ``Trainer`` that also runs a PNAS search, with its own settings applied to every candidate."""

from __future__ import annotations

from typing import Any, Literal

import pytorch_lightning as pl
from pytorch_lightning.loggers import Logger, WandbLogger

from pnas.errors import ConfigError
from pnas.search.assembly import apply_constraints, countable_costs
from pnas.search.callbacks.base import SearchCallback
from pnas.search.callbacks.tracking_settings import Tracking
from pnas.search.constraints.settings import Constraints
from pnas.search.evaluation.candidates import warn_left_out
from pnas.search.evaluation.lightning import LightningEvaluator
from pnas.search.evaluation.pruning import Pruner
from pnas.search.execution.settings import Execution
from pnas.search.flat_settings import deprecated_flat_settings, group_settings
from pnas.search.run.fingerprint import config_record, search_fingerprint
from pnas.search.run.loop import run_search
from pnas.search.run.records import SearchResult
from pnas.search.run.run_dir import RunDir
from pnas.search.strategies.base import SearchStrategy

__all__ = ["SearchTrainer"]


class SearchTrainer(pl.Trainer):
    """``pytorch_lightning.Trainer`` with a :meth:`search` method.

    Every ``Trainer`` argument given here (``max_epochs``, ``accelerator``, ``precision``, ``callbacks``, ...) is
    used to train each candidate of a search. Callbacks run for every candidate, except checkpointing and progress
    bars (left out with a warning). A ``WandbLogger`` given as ``logger`` is the search's W&B run; other loggers
    are not used (with a warning): the search keeps its records in its run directory.
    """

    def __init__(self, **kwargs: Any) -> None:
        # Copied first: the Trainer adds its default checkpoint and progress-bar callbacks to the list it is given.
        callbacks = kwargs.get("callbacks")
        copied = list(callbacks) if isinstance(callbacks, (list, tuple)) else callbacks
        self.candidate_trainer_kwargs = {**kwargs, "callbacks": copied}
        super().__init__(**kwargs)

    def search(
        self,
        model: pl.LightningModule,
        datamodule: pl.LightningDataModule,
        strategy: SearchStrategy | None = None,
        constraints: Constraints = Constraints(),  # noqa: B008 (frozen: shared safely)
        execution: Execution = Execution(),  # noqa: B008 (frozen: shared safely)
        tracking: Tracking = Tracking(),  # noqa: B008 (frozen: shared safely)
        pruner: Literal["none", "median", "successive_halving"] | Pruner = "none",
        monitor: str = "val/acc",
        mode: Literal["max", "min"] = "max",
        run_dir: str = "runs/search",
        seed: int = 0,
        progress: bool = True,
        verbose: bool = False,
        max_consecutive_failures: int = 5,
        config: dict[str, Any] | None = None,
        callbacks: list[SearchCallback] | None = None,
        **flat_settings: Any,
    ) -> SearchResult:
        """Run a neural architecture search, progressive (PNAS) by default, and record it in ``run_dir``.

        Args:
            model: Template for every candidate: a LightningModule whose ``__init__`` takes a ``genotype`` and that
                saves its hyperparameters (``PNASModule``, or yours), built again with each candidate's cell.
            datamodule: Data every candidate trains, validates and (the best one) tests on.
            strategy: What to train next (:class:`~pnas.search.SearchStrategy`), from a config by class path. Unset:
                ``ProgressiveSearch`` with B=3, K=8, the LSTM ensemble and this search's ``seed``.
            constraints: Limits on the networks trained and Pareto mode (:class:`~pnas.search.Constraints`).
            execution: How many candidates train at once, and where (:class:`~pnas.search.Execution`).
            tracking: The search's W&B run (:class:`~pnas.search.Tracking`); off for a trainer with ``logger=False``.
            pruner: Which candidates stop before ``max_epochs``: ``none``, ``median`` or ``successive_halving``.
            monitor: The metric the candidates log in validation that ranks them (``val/acc``, ``val/f1``, ...).
            mode: ``max`` if a higher ``monitor`` is better, ``min`` if a lower one is (a loss).
            run_dir: Directory for the records (search.sqlite, candidates.csv, ...); the same one again resumes.
            seed: Seed of each candidate's initialisation, and of the default strategy.
            progress: Show progress bars and a line per step.
            verbose: Show Lightning's own output for every candidate.
            max_consecutive_failures: Stop the search when this many candidates in a row fail.
            config: Settings to store as config.yaml (the ``pnas search`` command stores its full config).
            callbacks: Further :class:`~pnas.search.SearchCallback` hooks.
            **flat_settings: Deprecated (:func:`~pnas.search.flat_settings.deprecated_flat_settings`).
        """
        strategy, constraints, execution, tracking = group_settings(
            strategy, constraints, execution, tracking, seed, deprecated_flat_settings(**flat_settings)
        )
        files = self._claim(run_dir, model, constraints, monitor, mode, max_consecutive_failures)
        tracker = self._tracker(tracking, self._search_logger())  # warns from here: at the caller of search()
        evaluator = self._evaluator(model, datamodule, execution, pruner, monitor, mode, seed, verbose, files, tracker)
        try:
            files_of_constraints = apply_constraints(constraints, strategy, model, evaluator, files.latencies)
            tracker.cell_costs = countable_costs(model, strategy, evaluator) if tracker.enabled else None
            fingerprint = search_fingerprint(evaluator, datamodule, config)
            record = config_record(fingerprint, strategy, constraints, seed, config)
            hooks = [*files_of_constraints, tracker, *(callbacks or [])]  # the front before W&B logs it
            return run_search(
                strategy, evaluator, files, record, progress, hooks, fingerprint, max_consecutive_failures
            )
        finally:
            evaluator.close()

    def _tracker(self, tracking: Tracking, logger: WandbLogger | None) -> Any:
        """The search's :class:`~pnas.tracking.WandbSearchLogger`, as ``tracking`` and the trainer's ``logger`` say."""
        from pnas.tracking import WandbSearchLogger  # pnas.tracking imports wandb: import it on use

        return WandbSearchLogger(
            tracking.project,
            mode=self._wandb_mode(tracking.mode),
            logger=logger,
            candidate_runs=tracking.candidate_runs,
            **tracking.init_arguments(),
        )

    def _evaluator(
        self,
        model: pl.LightningModule,
        datamodule: pl.LightningDataModule,
        execution: Execution,
        pruner: str | Pruner,
        monitor: str,
        mode: str,
        seed: int,
        verbose: bool,
        files: RunDir,
        tracker: Any,
    ) -> LightningEvaluator:
        """The evaluator that trains each candidate with this trainer's settings, its data checked."""
        evaluator = LightningEvaluator(
            model,
            datamodule,
            self.candidate_trainer_kwargs,
            monitor,
            mode,
            seed,
            verbose,
            **execution.arguments(),
            pruner=pruner,
            states_dir=files.rungs,
            candidate_runs=tracker.candidate_runs(files.path),
        )
        evaluator.check_data()
        return evaluator

    def _claim(
        self,
        run_dir: str,
        model: Any,
        constraints: Constraints,
        monitor: str,
        mode: str,
        max_consecutive_failures: int,
    ) -> RunDir:
        """The search's run directory, claimed once its settings are checked, before the data loads.

        Raises:
            ConfigError: The model is no LightningModule, a setting is out of range, or ``run_dir`` holds files that
                are not a pnas search's (:meth:`RunDir.claim`).
        """
        if not isinstance(model, pl.LightningModule):
            raise ConfigError(f"the search's model must be a LightningModule, got {type(model).__name__}")
        if self.max_epochs is None or self.max_epochs < 1:
            raise ConfigError(f"max_epochs (epochs per candidate) must be >= 1, got {self.max_epochs}")
        if max_consecutive_failures < 1:
            raise ConfigError(f"max_consecutive_failures must be >= 1, got {max_consecutive_failures}")
        constraints.check(monitor, mode)
        return RunDir.claim(run_dir)

    def _wandb_mode(self, mode: str | None) -> str | None:
        """``mode``, or ``disabled`` for a trainer given ``logger=False``, which must not ask for a W&B run too.

        Raises:
            ConfigError: ``logger=False`` with the mode online or offline.
        """
        if self.candidate_trainer_kwargs.get("logger") is not False:
            return mode
        if mode not in (None, "disabled"):
            raise ConfigError(
                f"trainer logger: false turns W&B off, but tracking.mode: {mode} asks for a W&B run; drop one of "
                "the two"
            )
        return "disabled"

    def _search_logger(self) -> WandbLogger | None:
        """The ``WandbLogger`` given to this trainer, if any; warn that other given loggers are not used."""
        given = self.candidate_trainer_kwargs.get("logger")
        loggers = given if isinstance(given, (list, tuple)) else [given]
        unused = [logger for logger in loggers if isinstance(logger, Logger) and not isinstance(logger, WandbLogger)]
        warn_left_out("loggers", unused, "records are in run_dir; a WandbLogger given as logger is the search's run")
        return next((logger for logger in loggers if isinstance(logger, WandbLogger)), None)
