"""Weights & Biases tracking of a search, through Lightning's ``WandbLogger``.

One W&B run per search holds the config, per-step metrics (``search/*``, ``surrogate/*``), one point per
candidate (``candidate/*``, the last value of every metric it logged among them), every candidate's validation curve
(one chart per step), the candidates table, every metric of every candidate's epochs (``candidate_epochs``), the
pictures, and the answer as a versioned ``model`` artifact (a version each time it improves; ``best.ckpt`` at the
end). By default W&B's own choice applies: online when this machine is logged in to W&B, else offline (the run is
written under the search's run dir and can be uploaded later with ``wandb sync``). The run's id is kept in the run
directory (``wandb_run.json``), so a resumed search continues the same run and logs what it replays only once.
"""

from __future__ import annotations

import json
import netrc
import os
import re
import sys
import uuid
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pnas.files import json_object, read_text_or_none, write_text_atomically
from pnas.search.callbacks.base import SearchCallback
from pnas.search.evaluation.base import Evaluation
from pnas.search.evaluation.candidate_runs import CandidateRuns
from pnas.search.run.records import CandidateRecord, SearchResult, StepReport
from pnas.search.run.run_dir import RunDir
from pnas.search.strategies.base import Proposal
from pnas.wandb_media import candidate_curves_chart, model_artifact, pareto_scatters

__all__ = ["WandbSearchLogger", "default_wandb_mode"]

#: The columns of the ``candidates`` table: those of ``candidates.csv``, the prediction's spread, the network's
#: multiply-adds (when the model can count them) and, in Pareto mode, whether the cell was on the front when its
#: step ended.
CANDIDATE_COLUMNS = [*(f.name for f in fields(CandidateRecord)), "predicted_std", "macs", "on_front"]
#: The columns of the ``candidate_epochs`` table: every metric a candidate logged, epoch by epoch.
EPOCH_COLUMNS = ["candidate", "step", "cell", "metric", "epoch", "value"]


def default_wandb_mode() -> str:
    """W&B's own choice where no mode is set: ``"online"`` when this machine is logged in, else ``"offline"``.

    Logged in means an API key in ``WANDB_API_KEY``, or the entry ``wandb login`` writes to the netrc file
    (``NETRC``, else ``~/.netrc``) for the W&B host (``WANDB_BASE_URL``, else ``api.wandb.ai``). Nothing is sent.
    """
    if os.environ.get("WANDB_API_KEY"):
        return "online"
    host = urlparse(os.environ.get("WANDB_BASE_URL") or "https://api.wandb.ai").hostname or "api.wandb.ai"
    try:
        entry = netrc.netrc(os.environ.get("NETRC") or os.path.expanduser("~/.netrc")).authenticators(host)
    except (OSError, netrc.NetrcParseError):  # no netrc file, or one that cannot be read
        entry = None
    return "online" if entry and entry[2] else "offline"


class WandbSearchLogger(SearchCallback):
    """Log a search to one W&B run; if W&B fails, say so once and let the search go on without it.

    Args:
        project: W&B project.
        mode: ``"offline"`` (no account or network needed), ``"online"`` or ``"disabled"``. ``None`` (default):
            the ``WANDB_MODE`` environment variable if set, else :func:`default_wandb_mode`. An explicit mode wins
            over the variable.
        name: Run name; defaults to the run directory's name.
        logger: An existing ``WandbLogger`` to log to instead of creating one (its own settings apply, its id too:
            a resumed search then continues the W&B run only if that logger does).
        candidate_runs: Give each candidate a W&B run of its own in the search's group, logged to live as it
            trains (:class:`~pnas.search.evaluation.candidate_runs.CandidateRuns`).
        **wandb_kwargs: Further ``WandbLogger``/``wandb.init`` arguments (``entity``, ``tags``, ``group``, ...).
    """

    def __init__(
        self,
        project: str = "pnas",
        mode: str | None = None,
        name: str | None = None,
        logger: Any = None,
        candidate_runs: bool = True,
        **wandb_kwargs: Any,
    ) -> None:
        self.project, self.mode, self.name, self.wandb_kwargs = project, mode, name, wandb_kwargs
        self.logger, self.with_candidate_runs = logger, candidate_runs
        self.failed = False
        self._curves: list[tuple[str, list[float]]] = []
        self._trained: set[str] = set()  # candidates trained by this process: the others are replayed, logged before
        self._wandb_run: dict[str, Any] = {}  # the run's id and the steps logged to it (wandb_run.json)
        self._wandb_run_file: Any = None
        self._model_cell: str | None = None  # the answer last logged as a version of the model artifact
        self._table: Any = None  # the candidates table, logged in increments: the rows of each step
        self._new_records: list[CandidateRecord] = []  # the candidates not yet logged to it
        self._proposed: dict[str, tuple[Any, float | None]] = {}  # the step's cells and their predictions' spread
        self.cell_costs: Any = None  # the multiply-adds of cells (a CellCosts), when the model can count them
        self._epochs: Any = None  # the candidate_epochs table, logged in increments as well
        self._new_epoch_rows: list[list[Any]] = []

    def _guard(self, action: Callable[[], Any]) -> None:
        """Run a W&B call; on the first failure, warn once and stop logging to W&B."""
        if self.failed:
            return
        try:
            action()
        except Exception as error:  # the search must never die because of tracking
            self.failed = True
            print(
                f"pnas: W&B logging failed ({type(error).__name__}: {error}); the search goes on without W&B "
                "and keeps its records in the run dir",
                file=sys.stderr,
            )

    @property
    def enabled(self) -> bool:
        """Whether this search has a W&B run: a given ``WandbLogger``, or a mode that is not ``disabled``."""
        return self.logger is not None or self._resolved_mode() != "disabled"

    def _resolved_mode(self) -> str:
        """The mode: as given, else ``WANDB_MODE``, else :func:`default_wandb_mode`."""
        return self.mode or os.environ.get("WANDB_MODE") or default_wandb_mode()

    def _read_wandb_run(self, run_dir: Path) -> None:
        """The run's id and the steps logged, from ``wandb_run.json`` (a new id for a new search)."""
        if self._wandb_run_file is None:
            self._wandb_run_file = RunDir(run_dir).wandb_run
            self._wandb_run = json_object(read_text_or_none(self._wandb_run_file))
            self._wandb_run.setdefault("id", uuid.uuid4().hex[:12])
            self._wandb_run.setdefault("steps_logged", 0)

    def _group(self, run_dir: Path) -> str:
        """The W&B group of the search's runs: as set, else the search's name and id."""
        return self.wandb_kwargs.get("group") or f"{self.name or run_dir.name}-{self._wandb_run['id']}"

    def candidate_runs(self, run_dir: Path) -> CandidateRuns | None:
        """Where the candidates' own runs go: the search run's project and group; ``None`` without them.

        None when W&B is disabled, when candidate runs are turned off, or when the search logs to a given
        ``WandbLogger`` (whose run this search does not name).
        """
        mode = self._resolved_mode()
        if not self.with_candidate_runs or mode == "disabled" or self.logger is not None:
            return None
        self._read_wandb_run(run_dir)
        return CandidateRuns(
            project=self.project,
            group=self._group(run_dir),
            search_id=self._wandb_run["id"],
            save_dir=str(run_dir),
            mode=mode,
            entity=self.wandb_kwargs.get("entity"),
            tags=tuple(self.wandb_kwargs.get("tags", ())),
        )

    def on_search_start(self, search: SearchResult) -> None:
        """Start the W&B run (or continue it, on resume) under the run directory and log the config."""
        run_dir, config = search.run_dir, search.config
        mode = self._resolved_mode()
        if mode == "disabled":
            self.failed = True
            return

        def start() -> None:
            if self.logger is None:
                from pytorch_lightning.loggers import WandbLogger

                self._read_wandb_run(run_dir)
                self.logger = WandbLogger(
                    project=self.project,
                    name=self.name or run_dir.name,
                    save_dir=str(run_dir),
                    offline=mode == "offline",
                    job_type="search",
                    **{
                        "id": self._wandb_run["id"],  # resume="allow" is WandbLogger's default
                        **self.wandb_kwargs,
                        "group": self._group(run_dir),
                    },
                )
                self._save_wandb_run()
            experiment = self.logger.experiment
            experiment.define_metric("search/step")
            for prefix in ("search", "surrogate"):
                experiment.define_metric(f"{prefix}/*", step_metric="search/step")
            experiment.define_metric("candidate/index")
            experiment.define_metric("candidate/*", step_metric="candidate/index")
            self.logger.log_hyperparams(config)

        self._guard(start)

    def on_step_start(self, search: SearchResult, proposal: Proposal) -> None:
        """Note the step's cells and the spread of their predictions, for the candidates table."""
        spread = proposal.predicted_std
        self._proposed = {str(cell): (cell, std) for cell, std in zip(proposal.cells, spread, strict=True)}

    def _table_rows(self, records: list[CandidateRecord], pareto_points: list[dict[str, Any]]) -> list[list[Any]]:
        """The candidates table's rows of ``records``: their fields, spread, multiply-adds and front membership."""
        cells = [self._proposed.get(record.cell, (None, None))[0] for record in records]
        macs: list[Any] = [None] * len(records)
        if self.cell_costs is not None and records and all(cell is not None for cell in cells):
            try:
                macs = [int(value) for value in self.cell_costs.of_cells(cells)["macs"]]
            except Exception:  # noqa: BLE001 - a cell the costs cannot count: the column stays empty
                pass
        front = {point["cell"]: bool(point["on_front"]) for point in pareto_points}
        return [
            [*asdict(record).values(), self._proposed.get(record.cell, (None, None))[1], count, front.get(record.cell)]
            for record, count in zip(records, macs, strict=True)
        ]

    def on_candidate_trained(self, search: SearchResult, cell: Any, evaluation: Evaluation) -> None:
        """Note that ``cell`` was trained in this run of the search, not replayed from the store."""
        self._trained.add(str(cell))

    def on_candidate_end(self, search: SearchResult, record: CandidateRecord, history: dict[str, Any]) -> None:
        """One point per candidate trained (a replayed one was logged before): its step, metric, prediction, ...

        Also the last value of every metric it logged (``candidate/train/loss_epoch``, ...), and each of their
        epochs as rows of the ``candidate_epochs`` table.
        """
        self._curves.append((record.cell, history.get(search.monitor, [])))
        if self._wandb_run_file is not None and record.cell not in self._trained:
            return  # replayed by a resumed search, which continues the W&B run that logged it
        index = len(self._curves)
        self._new_records.append(record)
        for metric, curve in sorted(history.items()):
            rows = ([index, record.step, record.cell, metric, epoch, value] for epoch, value in enumerate(curve, 1))
            self._new_epoch_rows.extend(rows)
        metrics = {
            **{f"candidate/{metric}": curve[-1] for metric, curve in history.items() if curve},
            "candidate/index": index,
            "candidate/step": record.step,
            "candidate/value": record.value,
            "candidate/predicted_value": record.predicted_value,
            "candidate/parameters": record.parameters,
            "candidate/train_seconds": record.train_seconds,
        }
        self._guard(lambda: self.logger.log_metrics({k: v for k, v in metrics.items() if v is not None}))

    def on_step_end(self, search: SearchResult, report: StepReport) -> None:
        """Step metrics, this step's validation curves, the step's rows of both tables, and the pictures.

        A step that this W&B run logged before (a resumed search replays it) is not logged again.
        """
        if report.step <= self._wandb_run.get("steps_logged", 0):
            return
        records, pictures = search.candidates, dict(search.pictures)
        metrics = {
            "search/step": report.step,
            "search/best_value": report.best_value,
            "search/children_scored": report.children_scored,
            "search/scoring_seconds": report.scoring_seconds,
            "search/step_seconds": report.step_seconds,
            "search/excluded": report.excluded,
            "search/candidates": len(records),
            "search/failed": sum(record.status == "failed" for record in records),
            "search/pruned": sum(record.status == "pruned" for record in records),
            "surrogate/spearman": report.spearman,
            "surrogate/kendall_tau": report.kendall_tau,
            "pareto/hypervolume": search.hypervolume,
            "pareto/front_size": len(search.front) if search.front is not None else None,
        }
        pareto_points = list(search.pareto_points)
        table_rows = self._table_rows(self._new_records, pareto_points)
        self._new_records = []
        epoch_rows, self._new_epoch_rows = self._new_epoch_rows, []
        step_curves = [(cell, curve) for cell, curve in self._curves[-report.candidates :] if curve]

        def log() -> None:
            import wandb

            self.logger.log_metrics({k: v for k, v in metrics.items() if v is not None})
            if step_curves:
                chart = candidate_curves_chart(step_curves, report.step, search.monitor)
                self.logger.experiment.log({f"curves/step_{report.step}": chart})
            if self._table is None:  # made on first use, so that a resumed search adds to the same tables
                self._table = wandb.Table(columns=CANDIDATE_COLUMNS, log_mode="INCREMENTAL")
                self._epochs = wandb.Table(columns=EPOCH_COLUMNS, log_mode="INCREMENTAL")
            for row in table_rows:
                self._table.add_data(*row)
            for row in epoch_rows:
                self._epochs.add_data(*row)
            self.logger.experiment.log({"candidates": self._table, "candidate_epochs": self._epochs})
            for name, path in pictures.items():
                self.logger.log_image(key=f"pictures/{name}", images=[str(path)])
            if pareto_points:
                self.logger.experiment.log(pareto_scatters(pareto_points))

        self._guard(log)
        if search.best_cell is not None and str(search.best_cell) != self._model_cell:
            self._guard(lambda: self._log_model(search, final=False))
        if self._wandb_run_file is not None and not self.failed:
            self._wandb_run["steps_logged"] = report.step
            self._guard(self._save_wandb_run)

    def on_search_end(self, search: SearchResult) -> None:
        """Summary figures, the answer as the last version of the model artifact (with ``best.ckpt``), the run's end."""

        def finish() -> None:
            experiment = self.logger.experiment
            experiment.summary.update(
                {
                    "best_cell": str(search.best_cell) if search.best_cell else None,
                    "monitor": search.monitor,
                    "best_value": search.best_value,
                    "test_value": search.test_value,
                    "best_overall_cell": str(search.best_overall_cell) if search.best_overall_cell else None,
                    "best_overall_value": search.best_overall_value,
                    "search_seconds": round(search.seconds, 1),
                }
            )
            self._log_model(search, final=True)
            experiment.finish()

        self._guard(finish)
        if self.failed:
            self._close_quietly()

    def _save_wandb_run(self) -> None:
        """Write the run's id and the steps logged to it to ``wandb_run.json``."""
        write_text_atomically(self._wandb_run_file, json.dumps(self._wandb_run) + "\n")

    def _log_model(self, search: SearchResult, final: bool) -> None:
        """The answer as a new version of the search's ``model`` artifact, aliased ``best`` and ``latest``.

        Its genotype and weights: the best candidates' weights while the search runs (``best_candidate.pt``), the
        tested ``best.ckpt`` at the end. The artifact's name is the search's, so its versions follow the answer.
        """
        if search.best_cell is None or search.run_dir is None:
            return
        artifact = model_artifact(search, self.model_artifact_name(search), final)
        self.logger.experiment.log_artifact(artifact, aliases=["best", "latest"])
        self._model_cell = str(search.best_cell)

    def model_artifact_name(self, search: SearchResult) -> str:
        """The name of the search's ``model`` artifact: ``<run name>-model``, in the characters W&B allows."""
        name = self.name or (search.run_dir.name if search.run_dir is not None else "search")
        return re.sub(r"[^A-Za-z0-9._-]", "-", name) + "-model"

    def _close_quietly(self, exit_code: int = 0) -> None:
        """Finish a run that logging gave up on, so a later search in this process starts its own run."""
        if self.logger is None or getattr(self.logger, "_experiment", None) is None:
            return
        try:
            self.logger.experiment.finish(exit_code=exit_code)
        except Exception:  # noqa: BLE001, S110 - already reported once; nothing more to tell
            pass

    def on_search_error(self, search: SearchResult, error: BaseException) -> None:
        """Close the W&B run as failed, so a later search in this process starts its own run."""
        if self.logger is not None:
            self._guard(lambda: self.logger.experiment.finish(exit_code=1))
            if self.failed:
                self._close_quietly(exit_code=1)
