"""The training states of successive halving's candidates between rungs, kept in the run directory.

Each candidate has one checkpoint and one JSON record, so a resumed search continues its rungs; a job reads its
state only when an executor takes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, overload

from pnas.errors import ConfigError
from pnas.files import replace_atomically
from pnas.search.evaluation.base import Evaluation
from pnas.search.evaluation.training import CandidateJob, TrainedCandidate

__all__ = ["RungJobs", "RungStates"]


class RungJobs(Sequence[CandidateJob]):
    """The jobs of ``cells`` up to ``rung``, each made when the executor takes it: a kept state is read then.

    So only the states of the candidates being sent are in memory, never those of a whole step.
    """

    def __init__(self, cells: list[Any], rung: int | None, states: RungStates) -> None:
        self.cells, self.rung, self.states = cells, rung, states

    def __len__(self) -> int:
        return len(self.cells)

    @overload
    def __getitem__(self, index: int) -> CandidateJob: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[CandidateJob]: ...

    def __getitem__(self, index: int | slice) -> CandidateJob | Sequence[CandidateJob]:
        if isinstance(index, slice):
            return [self[position] for position in range(len(self))[index]]
        return self.states.job(self.cells[index], self.rung)


class RungStates:
    """The training states of a step's candidates between rungs, one checkpoint and one JSON file per cell."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _paths(self, cell: Any) -> tuple[Path, Path]:
        name = hashlib.sha1(str(cell).encode()).hexdigest()[:20]
        return self.directory / f"{name}.ckpt", self.directory / f"{name}.json"

    def _record(self, cell: Any) -> dict[str, Any] | None:
        checkpoint, record = self._paths(cell)
        if not (checkpoint.exists() and record.exists()):
            return None
        data = json.loads(record.read_text())
        return data if data.get("cell") == str(cell) else None

    def epochs(self, cell: Any) -> int:
        """The epochs ``cell`` has trained (0 without a kept state)."""
        record = self._record(cell)
        return 0 if record is None else record["epochs"]

    def seconds(self, cell: Any) -> float:
        """The seconds ``cell`` has trained before its kept state."""
        record = self._record(cell)
        return 0.0 if record is None else record["seconds"]

    def evaluation(self, cell: Any) -> Evaluation:
        """The evaluation of ``cell`` at its kept state."""
        record = self._record(cell)
        if record is None:
            raise ConfigError(f"the training state of {cell} between rungs is missing from {self.directory}")
        return Evaluation(
            record["value"], parameters=record["parameters"], seconds=record["seconds"], history=record["history"]
        )

    def job(self, cell: Any, rung: int | None) -> CandidateJob:
        """The job that trains ``cell`` from its kept state (or from the start) up to ``rung``."""
        record = self._record(cell)
        if record is None:
            return CandidateJob(cell, stop_after=rung)
        resume = self._paths(cell)[0].read_bytes()
        return CandidateJob(cell, stop_after=rung, resume=resume, history=record["history"])

    def keep(self, cell: Any, rung: int, trained: TrainedCandidate) -> None:
        """Keep the state ``cell`` reached at ``rung``: its checkpoint first, then the record that points to it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        checkpoint, record = self._paths(cell)
        evaluation = trained.evaluation
        state = trained.checkpoint
        replace_atomically(checkpoint, lambda path: path.write_bytes(state))
        data = {
            "cell": str(cell),
            "epochs": rung,
            "value": evaluation.accuracy,
            "parameters": evaluation.parameters,
            "seconds": evaluation.seconds,
            "history": evaluation.history,
        }
        replace_atomically(record, lambda path: path.write_text(json.dumps(data)))

    def forget(self, cell: Any) -> None:
        """Remove the state of ``cell``: it is finished, pruned or failed, and stored."""
        for path in self._paths(cell):
            path.unlink(missing_ok=True)
