"""A Lightning ``Trainer`` that also runs a PNAS search, with its own settings applied to every candidate."""

from __future__ import annotations

from typing import Any, Literal

import pytorch_lightning as pl
from pytorch_lightning.loggers import Logger, WandbLogger

from pnas.errors import ConfigError
from pnas.search.assembly import FLAT_SETTINGS, build_constraints, countable_costs, group_settings
from pnas.search.callbacks.base import SearchCallback
from pnas.search.callbacks.tracking_settings import Tracking
from pnas.search.constraints.settings import Constraints
from pnas.search.evaluation.candidates import warn_left_out
from pnas.search.evaluation.lightning import LightningEvaluator
from pnas.search.evaluation.pruning import Pruner
from pnas.search.execution.settings import Execution
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
        max_blocks: int | None = None,
        beam_size: int | None = None,
        surrogate: Literal["lstm", "mlp", "forest", "blend"] | None = None,
        initial_cells: int | None = None,
        max_params: int | None = None,
        max_macs: int | None = None,
        max_latency_ms: float | None = None,
        latency_device: str | None = None,
        objectives: list[str] | None = None,
        workers: int | None = None,
        executor: Literal["local", "ray"] | None = None,
        ray_address: str | None = None,
        num_cpus: float | None = None,
        num_gpus: float | None = None,
        wandb: Literal["offline", "online", "disabled"] | None = None,
        wandb_project: str | None = None,
    ) -> SearchResult:
        """Run a neural architecture search, progressive (PNAS) by default, and record it in ``run_dir``.

        Args:
            model: Template for every candidate: any LightningModule whose ``__init__`` takes a ``genotype`` and
                that saves its hyperparameters (``PNASModule``, or your own). Each candidate is its class built with
                its hyperparameters and the candidate's cell as ``genotype``.
            datamodule: Data every candidate trains, validates and (the best one) tests on.
            strategy: What to train next (:class:`~pnas.search.SearchStrategy`); from a config, by class path
                (``class_path: pnas.search.ProgressiveSearch`` with its ``init_args``: ``max_blocks`` (B),
                ``beam_size`` (K), ``surrogate``, ``initial_cells``, ...). Unset: ``ProgressiveSearch`` with B=3,
                K=8, the LSTM ensemble and this search's ``seed``.
            constraints: Limits on the networks trained (parameters, multiply-adds, latency) and Pareto mode
                (:class:`~pnas.search.Constraints`); by default none.
            execution: How many candidates train at once, and where (:class:`~pnas.search.Execution`); by default
                one at a time, in this process.
            tracking: The search's Weights & Biases run (:class:`~pnas.search.Tracking`): its mode, project, entity,
                group and tags. ``disabled`` when this trainer was given ``logger=False``; a ``WandbLogger`` given
                as ``logger`` is used as it is.
            pruner: Which candidates stop before ``max_epochs`` (:mod:`~pnas.search.evaluation.pruning`): ``none``;
                ``median``, a candidate worse after an epoch than the median of earlier steps' finished candidates
                then; ``successive_halving``, a step's candidates in rungs of 1, 3, 9, ... epochs, the best third
                going on after each. A pruned candidate is recorded with its last value (status ``pruned``); the
                strategy and its surrogate see only the finished ones.
            monitor: The metric the candidates log in validation that ranks them (``val/acc``, ``val/f1``, ...).
            mode: ``max`` if a higher ``monitor`` is better, ``min`` if a lower one is (a loss).
            run_dir: Directory for the records (search.sqlite, candidates.csv, best_genotype.json, ...). Running
                again with the same run_dir resumes the search: finished candidates are not trained again.
            seed: Seed of each candidate's initialisation, and of the default strategy.
            progress: Show progress bars and a line per step.
            verbose: Show Lightning's own output for every candidate.
            max_consecutive_failures: Stop the search when this many candidates in a row fail (each failure is
                recorded with its error in candidates.csv).
            config: Settings to store as config.yaml (the ``pnas search`` command stores its full config).
            callbacks: Further :class:`~pnas.search.SearchCallback` hooks.
            max_blocks: Deprecated: ``strategy``'s. So are ``beam_size``, ``surrogate`` and ``initial_cells``;
                ``max_params``, ``max_macs``, ``max_latency_ms``, ``latency_device`` and ``objectives`` are
                ``constraints``'; ``workers``, ``executor``, ``ray_address``, ``num_cpus`` and ``num_gpus`` are
                ``execution``'s. Each still works, with a warning, until the next release.
            beam_size: Deprecated, see ``max_blocks``.
            surrogate: Deprecated, see ``max_blocks``.
            initial_cells: Deprecated, see ``max_blocks``.
            max_params: Deprecated, see ``max_blocks``.
            max_macs: Deprecated, see ``max_blocks``.
            max_latency_ms: Deprecated, see ``max_blocks``.
            latency_device: Deprecated, see ``max_blocks``.
            objectives: Deprecated, see ``max_blocks``.
            workers: Deprecated, see ``max_blocks``.
            executor: Deprecated, see ``max_blocks``.
            ray_address: Deprecated, see ``max_blocks``.
            num_cpus: Deprecated, see ``max_blocks``.
            num_gpus: Deprecated, see ``max_blocks``.
            wandb: Deprecated: ``tracking.mode``.
            wandb_project: Deprecated: ``tracking.project``.
        """
        flat = {name: value for name, value in locals().items() if name in FLAT_SETTINGS}
        strategy, constraints, execution, tracking = group_settings(
            strategy, constraints, execution, tracking, seed, flat
        )
        self._check(model, max_consecutive_failures)
        constraints.check(monitor, mode)
        files = RunDir.claim(run_dir)  # a bad run_dir fails before the data loads
        from pnas.tracking import WandbSearchLogger  # pnas.tracking imports wandb: import it on use

        wandb_mode, logger = self._wandb_mode(tracking.mode), self._search_logger()
        tracker = WandbSearchLogger(
            tracking.project,
            mode=wandb_mode,
            logger=logger,
            candidate_runs=tracking.candidate_runs,
            **tracking.init_arguments(),
        )
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
        checks, constraint_files = build_constraints(constraints, strategy, model, evaluator, files.latencies)
        if checks:
            strategy.constrain(checks)
        if tracker.enabled:
            tracker.cell_costs = countable_costs(model, strategy, evaluator)
        fingerprint = search_fingerprint(evaluator, datamodule, config)
        try:
            return run_search(
                strategy,
                evaluator,
                files,
                config=config_record(fingerprint, strategy, constraints, seed, config),
                progress=progress,
                callbacks=[*constraint_files, tracker, *(callbacks or [])],  # the front before W&B logs it
                fingerprint=fingerprint,
                max_consecutive_failures=max_consecutive_failures,
            )
        finally:
            evaluator.close()

    def _check(self, model: Any, max_consecutive_failures: int) -> None:
        """Raise ``ConfigError`` for a model that is no LightningModule, or a setting out of range."""
        if not isinstance(model, pl.LightningModule):
            raise ConfigError(f"the search's model must be a LightningModule, got {type(model).__name__}")
        if self.max_epochs is None or self.max_epochs < 1:
            raise ConfigError(f"max_epochs (epochs per candidate) must be >= 1, got {self.max_epochs}")
        if max_consecutive_failures < 1:
            raise ConfigError(f"max_consecutive_failures must be >= 1, got {max_consecutive_failures}")

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
