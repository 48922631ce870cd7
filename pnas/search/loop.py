"""The search loop: ask the strategy, evaluate, record, report, until the strategy is done."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from scipy.stats import kendalltau, spearmanr
from tqdm.auto import tqdm

from pnas.errors import ConfigError, SearchFailedError
from pnas.plots import draw_cell, plot_predicted_vs_actual, plot_search_progress
from pnas.search.callbacks import SearchCallback
from pnas.search.evaluator import Evaluation, Evaluator
from pnas.search.interrupts import StopOnSignals
from pnas.search.records import CandidateRecord, RunDirectory, StepReport
from pnas.search.store import SearchStore
from pnas.search.strategy import Proposal, SearchStrategy
from pnas.space import Cell

__all__ = ["SearchResult", "run_search"]


@dataclass
class SearchResult:
    """The outcome of a search.

    Attributes:
        best_cell: The cell with the highest validation accuracy (``None`` if nothing finished).
        best_val_acc: Its validation accuracy.
        test_acc: Its test accuracy, when the evaluator could measure it.
        candidates: Every evaluated candidate, in order.
        steps: One report per step.
        run_dir: Where the records were written.
        checkpoint: The best cell's trained model, when the evaluator saved one.
        seconds: Wall-clock duration of the search.
    """

    best_cell: Cell | None
    best_val_acc: float | None
    test_acc: float | None
    candidates: list[CandidateRecord] = field(default_factory=list)
    steps: list[StepReport] = field(default_factory=list)
    run_dir: Path | None = None
    checkpoint: Path | None = None
    seconds: float = 0.0


def _rank_correlations(predicted: list[float | None], actual: list[float | None]) -> tuple[float | None, ...]:
    pairs = [(p, a) for p, a in zip(predicted, actual, strict=True) if p is not None and a is not None]
    if len(pairs) < 3:
        return None, None
    x, y = zip(*pairs, strict=True)
    values = (float(spearmanr(x, y)[0]), float(kendalltau(x, y)[0]))
    return tuple(None if math.isnan(value) else value for value in values)


def _evaluate(evaluator: Evaluator, cell: Cell) -> Evaluation:
    start = time.perf_counter()
    try:
        return evaluator.evaluate(cell)
    except ConfigError:  # a setting is wrong: no candidate can succeed, so stop
        raise
    except Exception as error:  # a failed candidate is recorded; the search goes on
        message = f"{type(error).__name__}: {error}".splitlines()[0]
        return Evaluation(None, status="failed", seconds=time.perf_counter() - start, error=message)


def _draw_pictures(directory: RunDirectory, records: list[CandidateRecord], best: Cell | None) -> dict[str, Path]:
    pictures = {
        "search_progress": plot_search_progress(records, directory.path / "search_progress.png"),
        "predicted_vs_actual": plot_predicted_vs_actual(records, directory.path / "predicted_vs_actual.png"),
    }
    if isinstance(best, Cell):
        pictures["best_cell"] = draw_cell(
            best, directory.path / "best_cell.png", title=f"best cell: {best.num_blocks} blocks"
        )
    return pictures


def _record(step: int, cell: Cell, predicted: float | None, evaluation: Evaluation) -> CandidateRecord:
    return CandidateRecord(
        step=step,
        cell=str(cell),
        predicted_acc=predicted,
        val_acc=evaluation.accuracy,
        parameters=evaluation.parameters,
        train_seconds=round(evaluation.seconds, 3),
        status=evaluation.status,
        error=evaluation.error,
    )


def _step_report(
    proposal: Proposal, accuracies: list[float | None], result: SearchResult, seconds: float
) -> StepReport:
    spearman, kendall = _rank_correlations(proposal.predicted, accuracies)
    return StepReport(
        step=proposal.step,
        children_scored=proposal.children_scored,
        scoring_seconds=round(proposal.scoring_seconds, 3),
        candidates=len(proposal.cells),
        failed=sum(accuracy is None for accuracy in accuracies),
        spearman=spearman,
        kendall_tau=kendall,
        best_val_acc=result.best_val_acc,
        best_cell=str(result.best_cell) if result.best_cell else None,
        step_seconds=round(seconds, 3),
    )


def run_search(
    strategy: SearchStrategy,
    evaluator: Evaluator,
    run_dir: str | Path,
    config: dict[str, Any] | None = None,
    progress: bool = True,
    callbacks: list[SearchCallback] | None = None,
    fingerprint: dict[str, Any] | None = None,
    max_consecutive_failures: int = 5,
) -> SearchResult:
    """Run ``strategy`` to completion, evaluating every proposed cell with ``evaluator``; resume if interrupted.

    Every evaluated candidate is committed to ``run_dir/search.sqlite`` as it finishes. Running again with the same
    ``run_dir`` replays the strategy from the stored results, so no finished candidate is evaluated twice and the
    search continues where it stopped. SIGINT and SIGTERM stop the search after the current write with
    :class:`~pnas.search.interrupts.SearchInterrupted`.

    Also writes ``config.yaml`` (``config``), ``candidates.csv`` and ``steps.csv`` (views of the store),
    ``best_genotype.json`` (kept up to date), the pictures ``search_progress.png``, ``predicted_vs_actual.png`` and
    ``best_cell.png`` (redrawn after every step), and at the end ``result.json`` with the best cell's test accuracy
    and ``best.ckpt`` when the evaluator can give them.

    Args:
        strategy: What to evaluate next.
        evaluator: How to evaluate a cell.
        run_dir: Directory for the records.
        config: Settings to store as ``config.yaml``.
        progress: Show progress bars and print a line per step.
        callbacks: Hooks called as the search goes (W&B logging is one, see :mod:`pnas.tracking`).
        fingerprint: The settings a resumed search must share with the stored one (search space, data, K, ...).
        max_consecutive_failures: Stop with :class:`~pnas.errors.SearchFailedError` after this many failed
            candidates in a row.

    Raises:
        ConfigError: ``run_dir`` cannot be written, or holds a search with another fingerprint.
        StoreError: ``run_dir/search.sqlite`` is corrupt or foreign (it is left untouched).
        SearchFailedError: Too many candidates failed in a row.
        SearchInterrupted: SIGINT or SIGTERM arrived.
    """
    start = time.perf_counter()
    callbacks = callbacks or []
    run_dir = Path(run_dir)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot create run_dir {run_dir}: {error.strerror or error}") from None
    with StopOnSignals(run_dir) as signals:
        store = SearchStore(run_dir / "search.sqlite")
        try:
            store.check_fingerprint(fingerprint or {})
            stored_steps = {report.step: report for report in store.steps()}
            directory = RunDirectory(run_dir, store.candidates(), list(stored_steps.values()))
            directory.write_text("config.yaml", yaml.safe_dump(config or {}, sort_keys=False))
            if progress and store.candidates():
                tqdm.write(f"resuming: {len(store.candidates())} candidates already evaluated in {run_dir}")
            result = SearchResult(None, None, None, run_dir=directory.path)
            for callback in callbacks:
                callback.on_search_start(directory.path, config or {})
            try:
                loop = _Loop(evaluator, store, directory, signals, callbacks, progress, max_consecutive_failures)
                loop.run(strategy, result, stored_steps)
                if result.best_cell is not None:
                    checkpoint = directory.path / "best.ckpt"
                    checkpoint.unlink(missing_ok=True)  # never report a checkpoint left by an earlier run
                    result.test_acc = evaluator.test(result.best_cell, checkpoint=checkpoint)
                    result.checkpoint = checkpoint if checkpoint.is_file() else None
            except BaseException as error:
                for callback in callbacks:
                    callback.on_search_error(error)
                raise
        finally:
            store.close()
        result.seconds = time.perf_counter() - start
        directory.write_json(
            "result.json",
            {
                "best_cell": str(result.best_cell) if result.best_cell else None,
                "best_val_acc": result.best_val_acc,
                "test_acc": result.test_acc,
                "candidates": len(result.candidates),
                "failed": sum(record.status != "ok" for record in result.candidates),
                "seconds": round(result.seconds, 1),
            },
        )
        for callback in callbacks:
            callback.on_search_end(result)
    return result


class _Loop:
    """The propose / evaluate / observe loop; stored results are replayed instead of evaluated."""

    def __init__(
        self,
        evaluator: Evaluator,
        store: SearchStore,
        directory: RunDirectory,
        signals: StopOnSignals,
        callbacks: list[SearchCallback],
        progress: bool,
        max_consecutive_failures: int,
    ) -> None:
        self.evaluator, self.store, self.directory, self.signals = evaluator, store, directory, signals
        self.callbacks, self.progress, self.max_failures = callbacks, progress, max_consecutive_failures
        self.consecutive_failures = 0

    def _candidate(self, step: int, cell: Cell, predicted: float | None) -> tuple[CandidateRecord, dict]:
        """The stored result of ``cell``, or a new evaluation committed to the store."""
        stored = self.store.lookup(step, str(cell))
        if stored is not None:
            record, history = stored
        else:
            evaluation = _evaluate(self.evaluator, cell)
            record, history = _record(step, cell, predicted, evaluation), evaluation.history
            with self.signals.deferred():
                self.store.add_candidate(record, history)
                self.directory.add_candidate(record)
        # Counted over replayed results too, so a resumed search stops where the uninterrupted one would.
        self.consecutive_failures = self.consecutive_failures + 1 if record.status != "ok" else 0
        if self.consecutive_failures >= self.max_failures:
            raise SearchFailedError(
                f"{self.consecutive_failures} candidates failed in a row, the last with {record.error!r}; "
                f"every result so far is in {self.directory.path}"
            )
        return record, history

    def run(self, strategy: SearchStrategy, result: SearchResult, stored_steps: dict[int, StepReport]) -> None:
        """Run ``strategy`` to the end, filling ``result``."""
        steps_bar = tqdm(total=strategy.num_steps, desc="search", unit="step", disable=not self.progress)
        while (proposal := strategy.propose()) is not None:
            step_start = time.perf_counter()
            accuracies: list[float | None] = []
            bar = tqdm(
                proposal.cells, desc=f"step {proposal.step}", unit="cell", leave=False, disable=not self.progress
            )
            for cell, predicted in zip(bar, proposal.predicted, strict=True):
                record, history = self._candidate(proposal.step, cell, predicted)
                result.candidates.append(record)
                accuracies.append(record.val_acc)
                for callback in self.callbacks:
                    callback.on_candidate_end(record, history)
                if record.val_acc is not None and (result.best_val_acc is None or record.val_acc > result.best_val_acc):
                    result.best_cell, result.best_val_acc = cell, record.val_acc
                    self.directory.write_text("best_genotype.json", cell.to_json() + "\n")
                if result.best_val_acc is not None:
                    bar.set_postfix(best=f"{result.best_val_acc:.4f}")
            strategy.observe(proposal.cells, accuracies)
            report = stored_steps.get(proposal.step)
            if report is None:
                report = _step_report(proposal, accuracies, result, time.perf_counter() - step_start)
                with self.signals.deferred():
                    self.store.add_step(report, strategy.state())
                    self.directory.add_step(report)
            result.steps.append(report)
            pictures = _draw_pictures(self.directory, result.candidates, result.best_cell)
            for callback in self.callbacks:
                callback.on_step_end(report, result.candidates, pictures)
            steps_bar.update()
            if self.progress:
                tqdm.write(report.describe())
        steps_bar.close()
