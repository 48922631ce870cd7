"""The one propose / evaluate / observe cycle every driver of a strategy uses (the search loop, the benchmark)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence

from pnas.search.strategies.base import Proposal, SearchStrategy

__all__ = ["search_steps"]


def search_steps(
    strategy: SearchStrategy,
    evaluate: Callable[[Proposal], Sequence[float | None]],
    max_evaluations: int | None = None,
) -> Iterator[tuple[Proposal, list[float | None]]]:
    """Ask ``strategy`` for a proposal, ``evaluate`` it, let the strategy observe the scores; repeat until done.

    Args:
        strategy: What to evaluate next.
        evaluate: Scores of a proposal's cells, in its order (higher is better; ``None``: failed).
        max_evaluations: Stop after this many evaluations; the last proposal is cut to what is left.

    Yields:
        Each proposal (as evaluated) and its scores, after the strategy has observed them.
    """
    evaluations = 0
    while max_evaluations is None or evaluations < max_evaluations:
        proposal = strategy.propose()
        if proposal is None:
            return
        if max_evaluations is not None and len(proposal.cells) > max_evaluations - evaluations:
            left = max_evaluations - evaluations
            cut = {name: getattr(proposal, name)[:left] for name in ("cells", "predicted", "predicted_std")}
            proposal = dataclasses.replace(proposal, **cut)
        scores = list(evaluate(proposal))
        strategy.observe(proposal.cells, scores)
        evaluations += len(proposal.cells)
        yield proposal, scores
