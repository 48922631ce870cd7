"""Each candidate's own W&B run: every metric its module logs, live, in the search's group.

W&B files the runs of one experiment (a sweep, a cross-validation) as one *group*; Ray Tune's and Optuna's W&B
integrations give each trial a run of its own in the same way. A search is one group: its own run
(``job_type="search"``) holds the search's metrics, tables, pictures and the model artifact, and each candidate
trains with a ``WandbLogger`` on a run of its own (``job_type="candidate"``), so every metric it logs (losses,
the monitored metric, the learning rate with ``LearningRateMonitor``) reaches W&B as it trains, from whichever
process trains it, and candidates can be compared and filtered by their config (``cell``) and summary
(``status``, ``value``).
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from typing import Any

from pytorch_lightning.loggers import WandbLogger

__all__ = ["CandidateRuns"]


@dataclass(frozen=True)
class CandidateRuns:
    """Where the candidates' own W&B runs go: the search's project and group. Picklable, sent to workers.

    Attributes:
        project: The W&B project.
        group: The search's W&B group.
        search_id: The search run's id; each candidate's run id is derived from it and the cell.
        save_dir: The folder under which W&B writes (the search's run directory).
        mode: ``offline`` or ``online``.
        entity: The W&B user or team, if set.
        tags: The search's tags.
    """

    project: str
    group: str
    search_id: str
    save_dir: str
    mode: str = "offline"
    entity: str | None = None
    tags: tuple[str, ...] = ()

    def run_id(self, cell: Any) -> str:
        """The W&B run id of ``cell``'s candidate in this search: the same for each rung of its training."""
        return f"{self.search_id}-{hashlib.sha1(str(cell).encode()).hexdigest()[:10]}"

    def start(self, cell: Any) -> Any:
        """A ``WandbLogger`` on a new run for ``cell``'s candidate (continued, for a later rung); ``None`` if W&B fails.

        A failure is reported once on stderr, and this search's candidates in this process train without runs of
        their own from then on.
        """
        if self.search_id in _failed:
            return None
        try:
            import wandb

            run = wandb.init(
                project=self.project,
                entity=self.entity,
                group=self.group,
                job_type="candidate",
                name=str(cell),
                id=self.run_id(cell),
                tags=list(self.tags),
                dir=self.save_dir,
                mode=self.mode,
                config={"cell": str(cell)},
                resume="allow",
                reinit="create_new",  # beside the search's own run, when a candidate trains in its process
                settings=_lean_settings(),
            )
            return _GuardedWandbLogger(self.search_id, experiment=run)
        except Exception as error:  # a candidate must never fail because of tracking
            _report_once(self.search_id, error)
            return None

    def finish(self, logger: Any, status: str, value: float | None) -> None:
        """Write the candidate's outcome to its run's summary and close the run."""
        try:
            if self.search_id not in _failed:
                logger.experiment.summary.update({"status": status, "value": value})
            logger.experiment.finish()
        except Exception as error:
            _report_once(self.search_id, error)


def _lean_settings() -> Any:
    """W&B settings of a candidate's run: its metrics only; the machine, code and console are the search run's."""
    import wandb

    return wandb.Settings(
        console="off",
        save_code=False,
        disable_git=True,
        disable_job_creation=True,
        x_disable_stats=True,
        x_disable_meta=True,
        x_disable_machine_info=True,
        x_save_requirements=False,
    )


class _GuardedWandbLogger(WandbLogger):
    """A ``WandbLogger`` whose failures never fail the candidate: the first is reported, then it logs nothing.

    Args:
        search_id: The search whose candidates stop logging after a failure.
        **kwargs: ``WandbLogger``'s arguments.
    """

    def __init__(self, search_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.search_id = search_id

    def log_metrics(self, metrics: dict[str, Any], step: int | None = None) -> None:
        """Log as ``WandbLogger`` does, unless W&B failed for this search in this process."""
        if self.search_id not in _failed:
            try:
                super().log_metrics(metrics, step)
            except Exception as error:
                _report_once(self.search_id, error)

    def log_hyperparams(self, params: Any) -> None:
        """Log as ``WandbLogger`` does, unless W&B failed for this search in this process."""
        if self.search_id not in _failed:
            try:
                super().log_hyperparams(params)
            except Exception as error:
                _report_once(self.search_id, error)


_failed: set[str] = set()  # the searches whose candidates' W&B runs failed in this process


def _report_once(search_id: str, error: BaseException) -> None:
    """Say once per search and process that a candidate's W&B run failed."""
    if search_id not in _failed:
        _failed.add(search_id)
        message = f"pnas: a candidate's W&B run failed ({type(error).__name__}: {error}); it trains without one"
        print(message.splitlines()[0], file=sys.stderr)
