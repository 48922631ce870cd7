"""The search loop: the strategy proposes, the evaluator evaluates, the strategy observes, the store keeps it all.

Everything else a search does (run-directory files, the best model's export, pictures, progress bars, W&B) is a
:class:`~pnas.search.callbacks.base.SearchCallback`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pnas.errors import SearchFailedError
from pnas.search.callbacks.base import SearchCallback
from pnas.search.evaluation.base import Evaluation, Evaluator, cell_level
from pnas.search.run.best import BestSoFar
from pnas.search.run.interrupts import StopOnSignals
from pnas.search.run.records import CandidateRecord, SearchResult, StepReport
from pnas.search.run.run_dir import RunDir
from pnas.search.run.store import SearchStore
from pnas.search.strategies.base import Proposal, SearchStrategy
from pnas.search.strategies.steps import search_steps
from surrogate import rank_correlations

__all__ = ["default_callbacks", "run_search"]


def default_callbacks(
    evaluator: Evaluator, store: SearchStore, strategy: SearchStrategy, progress: bool
) -> list[SearchCallback]:
    """What every search writes and shows: best-model export, run files, pictures, and progress bars if asked."""
    from pnas.search.callbacks.best_model import BestModelExport
    from pnas.search.callbacks.pictures import SearchPictures  # matplotlib: loaded only when a search runs
    from pnas.search.callbacks.progress import SearchProgressBar
    from pnas.search.callbacks.run_files import RunFiles

    best = BestModelExport(evaluator, RunDir(store.path.parent).best_weights)
    callbacks: list[SearchCallback] = [best, RunFiles(store.candidates(), store.steps())]
    callbacks.append(SearchPictures())
    if progress:
        callbacks.append(SearchProgressBar(strategy.num_steps, resumed=len(store.candidates())))
    return callbacks


def run_search(
    strategy: SearchStrategy,
    evaluator: Evaluator,
    run_dir: str | Path | RunDir,
    config: dict[str, Any] | None = None,
    progress: bool = True,
    callbacks: list[SearchCallback] | None = None,
    fingerprint: dict[str, Any] | None = None,
    max_consecutive_failures: int = 5,
) -> SearchResult:
    """Run ``strategy`` to completion, evaluating every proposed cell with ``evaluator``; resume if interrupted.

    Every evaluated candidate is committed to ``run_dir/search.sqlite`` as it arrives. Running again with the same
    ``run_dir`` replays the strategy from the stored results, so no finished candidate is evaluated twice and the
    search continues where it stopped. The strategy's class and settings are part of the stored fingerprint, so a
    different strategy cannot continue another's search. SIGINT and SIGTERM stop the search after the current
    write with :class:`~pnas.errors.SearchInterrupted`.

    The callbacks of :func:`default_callbacks` write ``config.yaml`` (``config``), ``candidates.csv`` and
    ``steps.csv`` (views of the store), ``best_genotype.json`` (kept up to date), the pictures
    ``search_progress.png``, ``predicted_vs_actual.png`` and ``best_cell.png`` (redrawn after every step), and at
    the end ``best.ckpt`` and ``result.json`` with the best cell's test result when the evaluator can give them.

    Args:
        strategy: What to evaluate next.
        evaluator: How to evaluate a cell; its ``monitor`` and ``mode`` say what "best" means.
        run_dir: Directory for the records (a :class:`RunDir` is taken as already claimed).
        config: Settings to store as ``config.yaml``.
        progress: Show progress bars and print a line per step.
        callbacks: Further hooks, called after the default ones (W&B logging is one, see :mod:`pnas.tracking`).
        fingerprint: The settings a resumed search must share with the stored one (data, model, trainer, ...).
        max_consecutive_failures: Stop with :class:`~pnas.errors.SearchFailedError` after this many failed
            candidates in a row.

    Raises:
        ConfigError: ``run_dir`` cannot be written, is a non-empty directory of something else, is in use by
            another search, holds a search with another fingerprint, or one with more steps (a smaller
            ``max_blocks``).
        StoreError: ``run_dir/search.sqlite`` is corrupt or foreign (it is left untouched).
        SearchFailedError: Too many candidates failed in a row.
        SearchInterrupted: SIGINT or SIGTERM arrived.
    """
    start = time.perf_counter()
    files = (run_dir if isinstance(run_dir, RunDir) else RunDir.claim(run_dir)).create()
    with files.lock(), StopOnSignals(files.path) as signals:
        evaluator.start()  # workers load while the store is opened and step 1 is proposed
        store = _checked_store(files, strategy, fingerprint)
        try:
            hooks = [*default_callbacks(evaluator, store, strategy, progress), *(callbacks or [])]
            monitor, mode = evaluator.monitor, evaluator.mode
            search = SearchResult(None, None, None, run_dir=files.path, config=config or {}, monitor=monitor, mode=mode)
            loop = _Loop(evaluator, store, signals, hooks, max_consecutive_failures)
            _run_with_hooks(loop, strategy, search, hooks, start)
        finally:
            store.close()
    return search


def _checked_store(files: RunDir, strategy: SearchStrategy, fingerprint: dict[str, Any] | None) -> SearchStore:
    """The run's store, checked against this search: the same fingerprint and strategy, no more steps."""
    store = SearchStore(files.store)
    try:
        strategy_fingerprint = {"class": type(strategy).__qualname__, **strategy.settings()}
        store.check_fingerprint({**(fingerprint or {}), "strategy": strategy_fingerprint})
        store.check_num_steps(strategy.num_steps)
    except BaseException:
        store.close()
        raise
    return store


def _run_with_hooks(
    loop: _Loop, strategy: SearchStrategy, search: SearchResult, hooks: list[SearchCallback], start: float
) -> None:
    """Run ``loop`` between the hooks' start and end (or error) calls."""
    for hook in hooks:
        hook.on_search_start(search)
    try:
        loop.run(strategy, search)
        search.seconds = time.perf_counter() - start
        for hook in hooks:
            hook.on_search_end(search)
    except BaseException as error:
        for hook in hooks:
            hook.on_search_error(search, error)
        raise


class _Loop:
    """Propose, evaluate (or replay from the store), observe, store; tell the callbacks as things happen."""

    def __init__(
        self,
        evaluator: Evaluator,
        store: SearchStore,
        signals: StopOnSignals,
        hooks: list[SearchCallback],
        max_consecutive_failures: int,
    ) -> None:
        self.evaluator, self.store, self.signals, self.hooks = evaluator, store, signals, hooks
        self.max_failures, self.consecutive_failures = max_consecutive_failures, 0
        self.step_start = 0.0
        self.values: list[float | None] = []  # the monitored values of the step being evaluated
        self.answer = BestSoFar(evaluator.mode)  # the best of the cells with the most blocks: the search's answer
        self.overall = BestSoFar(evaluator.mode)  # the best of all cells, whatever their level

    def run(self, strategy: SearchStrategy, search: SearchResult) -> None:
        """Run ``strategy`` to the end, filling ``search``."""
        stored_steps = {report.step: report for report in self.store.steps()}

        def evaluate(proposal: Proposal) -> list[float | None]:
            return self._evaluate(proposal, search, last_step=proposal.step == strategy.num_steps)

        for proposal, _ in search_steps(strategy, evaluate):
            report = stored_steps.get(proposal.step)
            if report is None:
                report = self._report(proposal, self.values, search)
                with self.signals.deferred():
                    self.store.add_step(report, strategy.state())
                search.added += 1
            search.steps.append(report)
            for hook in self.hooks:
                hook.on_step_end(search, report)

    def _evaluate(self, proposal: Proposal, search: SearchResult, last_step: bool) -> list[float | None]:
        """The scores of the proposal's cells: stored results replayed first, then the others as they arrive.

        ``last_step``: the proposal is the strategy's last step (the level the answer comes from).
        """
        self.step_start = time.perf_counter()
        for hook in self.hooks:
            hook.on_step_start(search, proposal)
        values: list[float | None] = [None] * len(proposal.cells)
        pending, replayed = [], []
        for index, cell in enumerate(proposal.cells):
            stored = self.store.lookup(proposal.step, str(cell))
            if stored is None:
                pending.append(index)
            else:
                values[index] = self._arrive(search, cell, *stored, rank=(proposal.step, index))
                replayed.append((cell, _evaluation(*stored)))
        self.evaluator.recall(replayed, last_step)
        for position, evaluation in self.evaluator.evaluate_all([proposal.cells[i] for i in pending]):
            index = pending[position]
            predicted = self.evaluator.score(proposal.predicted[index])
            record = _record(proposal.step, proposal.cells[index], predicted, evaluation)
            for hook in self.hooks:
                hook.on_candidate_trained(search, proposal.cells[index], evaluation)
            with self.signals.deferred():
                self.store.add_candidate(record, evaluation.history)
            search.added += 1
            values[index] = self._arrive(
                search, proposal.cells[index], record, evaluation.history, (proposal.step, index)
            )
        self.values = values
        return [self.evaluator.score(value) for value in values]  # pruned or failed: None, not evaluated

    def _arrive(
        self, search: SearchResult, cell: Any, record: CandidateRecord, history: dict, rank: tuple[int, int]
    ) -> float | None:
        """Take in one result: the candidates, the answer and the best so far, the callbacks, the run of failures.

        What "the best" means is :class:`~pnas.search.run.best.BestSoFar`'s. A pruned candidate's value is not a
        finished one's: it is recorded, but it is neither the best nor handed to the strategy (``None``).
        """
        search.candidates.append(record)
        if record.status == "ok" and record.value is not None:
            if self.answer.offer(record.value, rank, level=cell_level(cell)):
                search.best_cell, search.best_value = cell, record.value
            if self.overall.offer(record.value, rank):
                search.best_overall_cell, search.best_overall_value = cell, record.value
        for hook in self.hooks:
            hook.on_candidate_end(search, record, history)
        # Counted over replayed results too, so a resumed search stops where the uninterrupted one would.
        self.consecutive_failures = self.consecutive_failures + 1 if record.status == "failed" else 0
        if self.consecutive_failures >= self.max_failures:
            raise SearchFailedError(
                f"{self.consecutive_failures} candidates failed in a row, the last with {record.error!r}; "
                f"every result so far is in {search.run_dir}"
            )
        return record.value if record.status == "ok" else None

    def _report(self, proposal: Proposal, values: list[float | None], search: SearchResult) -> StepReport:
        predicted = [self.evaluator.score(value) for value in proposal.predicted]
        pairs = [(p, v) for p, v in zip(predicted, values, strict=True) if p is not None and v is not None]
        correlations = rank_correlations(*zip(*pairs, strict=True)) if len(pairs) >= 3 else {}
        return StepReport(
            step=proposal.step,
            children_scored=proposal.children_scored,
            scoring_seconds=round(proposal.scoring_seconds, 3),
            candidates=len(proposal.cells),
            failed=sum(record.step == proposal.step and record.status == "failed" for record in search.candidates),
            spearman=correlations.get("spearman"),
            kendall_tau=correlations.get("kendall_tau"),
            best_value=search.best_value,
            best_cell=str(search.best_cell) if search.best_cell is not None else None,
            step_seconds=round(time.perf_counter() - self.step_start, 3),
            excluded=proposal.excluded,
        )


def _evaluation(record: CandidateRecord, history: dict[str, list[float]]) -> Evaluation:
    """A stored candidate as the evaluation it was."""
    seconds, parameters = record.train_seconds, record.parameters
    return Evaluation(record.value, record.status, parameters, seconds, record.error, history)


def _record(step: int, cell: Any, predicted: float | None, evaluation: Evaluation) -> CandidateRecord:
    return CandidateRecord(
        step=step,
        cell=str(cell),
        predicted_value=predicted,
        value=evaluation.accuracy,
        parameters=evaluation.parameters,
        train_seconds=round(evaluation.seconds, 3),
        status=evaluation.status,
        error=evaluation.error,
    )
