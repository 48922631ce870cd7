"""A Lightning ``Trainer`` that also runs a PNAS search, with its own settings applied to every candidate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytorch_lightning as pl
from pytorch_lightning.loggers import Logger, WandbLogger

from pnas.errors import ConfigError
from pnas.search.callbacks.base import SearchCallback
from pnas.search.callbacks.pareto_files import ParetoFiles
from pnas.search.constraints.limits import LIMITS, CostLimits, LatencyLimit, network_costs
from pnas.search.evaluation.candidates import warn_left_out
from pnas.search.evaluation.lightning import LightningEvaluator
from pnas.search.run.lock import check_run_dir
from pnas.search.run.loop import run_search
from pnas.search.run.records import SearchResult
from pnas.search.strategies.progressive import ProgressiveSearch

if TYPE_CHECKING:
    from pnas.nn.costs import CellCosts
    from pnas.nn.latency import CellLatency

__all__ = ["SearchTrainer"]


#: The run directory's file of measured latencies (cell -> milliseconds), with a latency limit.
LATENCY_FILE = "latency.json"


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
        max_blocks: int = 3,
        beam_size: int = 8,
        surrogate: Literal["lstm", "mlp", "forest", "blend"] = "lstm",
        initial_cells: int | None = None,
        max_params: int | None = None,
        max_macs: int | None = None,
        max_latency_ms: float | None = None,
        latency_device: str = "cpu",
        objectives: list[str] | None = None,
        monitor: str = "val/acc",
        mode: Literal["max", "min"] = "max",
        run_dir: str = "runs/search",
        seed: int = 0,
        progress: bool = True,
        verbose: bool = False,
        wandb: Literal["offline", "online", "disabled"] | None = None,
        wandb_project: str = "pnas",
        max_consecutive_failures: int = 5,
        workers: int = 1,
        executor: Literal["local", "ray"] = "local",
        ray_address: str | None = None,
        num_cpus: float | None = None,
        num_gpus: float | None = None,
        config: dict[str, Any] | None = None,
        callbacks: list[SearchCallback] | None = None,
    ) -> SearchResult:
        """Run a progressive neural architecture search (PNAS) and record it in ``run_dir``.

        Args:
            model: Template for every candidate: any LightningModule whose ``__init__`` takes a ``genotype`` and
                that saves its hyperparameters (``PNASModule``, or your own). Each candidate is its class built with
                its hyperparameters and the candidate's cell as ``genotype``.
            datamodule: Data every candidate trains, validates and (the best one) tests on.
            max_blocks: B, blocks per cell at the end of the search.
            beam_size: K, candidates trained at every step after the first, and kept in the beam.
            surrogate: Accuracy predictor that ranks the children of the beam: the LSTM ensemble, the MLP one, a
                random forest, or the LSTM and the forest averaged (``"blend"``).
            initial_cells: Train only this many of the 136 one-block cells at the first step (all when unset).
            max_params: Never train (or propose) a cell whose network has more parameters than this; counted
                exactly before training, for a ``PNASModule`` template (:mod:`pnas.nn.costs`).
            max_macs: The same for the multiply-adds of one forward pass of one training image.
            max_latency_ms: Never train (or propose) a cell whose network takes longer than this for one image on
                ``latency_device``: the median of 20 timed forward passes after 5 warm-up ones, measured once per
                cell as it is about to be proposed and kept in ``run_dir/latency.json`` (a resumed search reads it).
            latency_device: Where latency is measured (``cpu``, ``cuda``, ...): the device the network is for.
            objectives: Pareto mode, ``[monitor, cost]`` with cost ``params`` or ``macs``: each step after the first
                proposes the predicted front of accuracy against that cost (the best predicted child, then each next
                child only if it is cheaper than the last kept), topped up to K by predicted accuracy.
            monitor: The metric the candidates log in validation that ranks them (``val/acc``, ``val/f1``, ...).
            mode: ``max`` if a higher ``monitor`` is better, ``min`` if a lower one is (a loss).
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
            workers: Candidates trained at once, each in its own worker process (1: in this process). Workers start
                once and are reused; each result is stored as it finishes. On a CPU each worker gets its share of
                the cores as threads; with several GPUs each worker gets one, with one GPU they share it.
            executor: ``local`` runs the workers on this machine; ``ray`` runs them as Ray actors on a Ray cluster
                (``pip install 'pnas[ray]'``).
            ray_address: The Ray cluster to use (``host:port``, ``ray://host:port`` or ``auto``); unset starts a
                local Ray instance. Only with ``executor: ray``.
            num_cpus: CPU cores per candidate: its torch threads wherever it trains (this process, a worker, a Ray
                actor) and a Ray actor's ``num_cpus``. Default: ``OMP_NUM_THREADS`` when set, else 1, whatever
                ``workers`` is, so the results do not depend on it; on a CPU, use the cores with ``workers``.
            num_gpus: GPUs per candidate on Ray, fractions allowed (0.25: four candidates share one GPU).
            config: Settings to store as config.yaml (the ``pnas search`` command stores its full config).
            callbacks: Further :class:`~pnas.search.SearchCallback` hooks.
        """
        if not isinstance(model, pl.LightningModule):
            raise ConfigError(f"the search's model must be a LightningModule, got {type(model).__name__}")
        if self.max_epochs is None or self.max_epochs < 1:
            raise ConfigError(f"max_epochs (epochs per candidate) must be >= 1, got {self.max_epochs}")
        if max_consecutive_failures < 1:
            raise ConfigError(f"max_consecutive_failures must be >= 1, got {max_consecutive_failures}")
        check_run_dir(run_dir)
        best_path, latency_path = Path(run_dir) / "best_candidate.pt", Path(run_dir) / LATENCY_FILE
        if not (Path(run_dir) / "search.sqlite").exists():
            for stale in (best_path, latency_path):  # of an earlier, unrelated search
                if stale.is_file():
                    stale.unlink()
        evaluator = LightningEvaluator(
            model,
            datamodule,
            self.candidate_trainer_kwargs,
            monitor,
            mode,
            seed,
            verbose,
            best_path=best_path,
            workers=workers,
            executor=executor,
            ray_address=ray_address,
            num_cpus=num_cpus,
            num_gpus=num_gpus,
        )
        evaluator.check_data()
        limits, pareto, costs = self._cost_settings(
            evaluator, max_blocks, max_params, max_macs, objectives, monitor, max_latency_ms
        )
        latency_limit, hooks = None, []
        if max_latency_ms is not None:
            from pnas.nn.latency import CellLatency, check_latency_device

            check_latency_device(latency_device)
            latency = CellLatency(costs.network_of, evaluator.input_size, latency_device, path=latency_path)
            latency_limit = LatencyLimit(latency.of_cell, max_latency_ms, latency_device)
            hooks.append(_SaveLatencies(latency))
        if objectives is not None and mode != "max":
            raise ConfigError(f"objectives maximise {monitor}: set mode: max (a metric such as val/acc)")
        pareto_files = []
        if objectives is not None:
            upper = costs.upper_bound(max_blocks)[objectives[1]]
            pareto_files.append(ParetoFiles(monitor, objectives[1], costs.of_cells, upper))
        strategy = ProgressiveSearch(
            max_blocks,
            beam_size,
            surrogate,
            initial_cells,
            seed,
            limits=limits,
            pareto_cost=pareto,
            latency_limit=latency_limit,
        )
        strategy.check_limits()
        from pnas.tracking import WandbSearchLogger  # pnas.tracking imports wandb: import it on use

        tracker = WandbSearchLogger(wandb_project, mode=wandb, logger=self._search_logger())
        fingerprint = _fingerprint(evaluator, datamodule)
        if config is None:  # called from Python: store the settings that define this search
            search_settings = {"max_blocks": max_blocks, "beam_size": beam_size, "surrogate": surrogate}
            search_settings.update(initial_cells=initial_cells, seed=seed, monitor=monitor, mode=mode)
            limit_settings = (("max_params", max_params), ("max_macs", max_macs), ("max_latency_ms", max_latency_ms))
            search_settings.update({k: v for k, v in limit_settings if v})
            if max_latency_ms:
                search_settings["latency_device"] = latency_device
            search_settings.update({"objectives": objectives} if objectives else {})
            config = {**fingerprint, "search": search_settings}
        elif isinstance(config.get("model"), dict):  # the CLI's full model config, optimizer included
            init_args = config["model"].get("init_args", config["model"])
            fingerprint["model"]["config"] = {k: v for k, v in init_args.items() if k != "genotype"}
        try:
            return run_search(
                strategy,
                evaluator,
                run_dir,
                config=config,
                progress=progress,
                callbacks=[*hooks, *pareto_files, tracker, *(callbacks or [])],  # the front before W&B logs it
                fingerprint=fingerprint,
                max_consecutive_failures=max_consecutive_failures,
            )
        finally:
            evaluator.close()

    @staticmethod
    def _cost_settings(
        evaluator: LightningEvaluator,
        max_blocks: int,
        max_params: int | None,
        max_macs: int | None,
        objectives: list[str] | None,
        monitor: str,
        max_latency_ms: float | None = None,
    ) -> tuple[CostLimits | None, tuple[str, Any] | None, CellCosts | None]:
        """The limits, the Pareto cost and the ``CellCosts`` of a search's networks (``None`` where unset).

        A latency limit needs the networks too, so it makes the ``CellCosts``.
        """
        limits = {name: value for name, value in (("max_params", max_params), ("max_macs", max_macs)) if value}
        cost_names = [cost for cost, _ in LIMITS.values()]
        if objectives is not None and (
            len(objectives) != 2 or objectives[0] != monitor or objectives[1] not in cost_names
        ):
            raise ConfigError(
                f"objectives must be [{monitor}, cost] with cost one of {', '.join(cost_names)} (the monitored "
                f"metric first), got {objectives}"
            )
        if not limits and objectives is None and max_latency_ms is None:
            return None, None, None
        latency = ["max_latency_ms"] if max_latency_ms is not None else []
        needed_by = " and ".join([*limits, *latency, *(["objectives"] if objectives else [])])
        arguments, input_size = evaluator.factory.arguments, evaluator.input_size
        costs = network_costs(evaluator.factory.cls, arguments, input_size, max_blocks, needed_by)
        pareto = (objectives[1], costs.of_tokens) if objectives else None
        return (CostLimits(costs.of_tokens, **limits) if limits else None), pareto, costs

    def _search_logger(self) -> WandbLogger | None:
        """The ``WandbLogger`` given to this trainer, if any; warn that other given loggers are not used."""
        given = self.candidate_trainer_kwargs.get("logger")
        loggers = given if isinstance(given, (list, tuple)) else [given]
        unused = [logger for logger in loggers if isinstance(logger, Logger) and not isinstance(logger, WandbLogger)]
        warn_left_out("loggers", unused, "records are in run_dir; a WandbLogger given as logger is the search's run")
        return next((logger for logger in loggers if isinstance(logger, WandbLogger)), None)


def _fingerprint(evaluator: LightningEvaluator, datamodule: Any) -> dict[str, Any]:
    """The settings a resumed search must share with the stored one (the strategy's are added by ``run_search``)."""
    arguments = evaluator.factory.arguments
    return {
        "model": {
            "class": f"{evaluator.factory.cls.__module__}.{evaluator.factory.cls.__qualname__}",
            **{k: v for k, v in arguments.items() if isinstance(v, (int, float, str, bool)) or v is None},
            **{k: _describe(v) for k, v in arguments.items() if callable(v)},
        },
        "evaluation": {"monitor": evaluator.monitor, "mode": evaluator.mode},
        "trainer": {
            k: v
            for k, v in evaluator.trainer_kwargs.items()
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


class _SaveLatencies(SearchCallback):
    """Write the measured latencies into the run directory before each step's cells train.

    So a search stopped at any point resumes from the same numbers, and proposes the same cells.
    """

    def __init__(self, latency: CellLatency) -> None:
        self.latency = latency

    def on_step_start(self, search: SearchResult, proposal: Any) -> None:
        """Save what proposing the step measured."""
        self.latency.save()
