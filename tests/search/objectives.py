"""Closed-form objectives over cells, with a known optimum, for testing strategies without training."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pnas.search import Evaluation, Evaluator, SearchStrategy
from pnas.search.strategies.steps import search_steps
from pnas.space import OPS, Block, Cell

#: Hidden quality of each op (sep_conv_3x3 best) and of each input (H[c-2] best).
OP_QUALITY = {op: 0.1 * (len(OPS) - index) for index, op in enumerate(OPS)}
INPUT_QUALITY = {0: 0.2, 1: 0.1}


def additive_objective(cell: Cell, max_blocks: int) -> float:
    """Sum of half qualities over a full-size cell's maximum: deeper cells can score higher; in [0, 1]."""
    halves = [(b.input_1, b.op_1) for b in cell.blocks] + [(b.input_2, b.op_2) for b in cell.blocks]
    total = sum(OP_QUALITY[op] + INPUT_QUALITY.get(index, 0.05) for index, op in halves)
    return total / (2 * max_blocks * (max(OP_QUALITY.values()) + 0.2))


def drive(strategy: SearchStrategy, objective: Callable[[Any], float | None]) -> list[Any]:
    """Run ``strategy`` to its end on a closed-form ``objective``; the cells it proposed, in order."""
    proposed: list[Any] = []
    for proposal, _ in search_steps(strategy, lambda proposal: [objective(cell) for cell in proposal.cells]):
        proposed += proposal.cells
    return proposed


def optimum(max_blocks: int) -> Cell:
    """The unique best cell: every half reads H[c-2] through sep_conv_3x3."""
    return Cell(tuple(Block(0, "sep_conv_3x3", 0, "sep_conv_3x3") for _ in range(max_blocks)))


class ObjectiveEvaluator(Evaluator):
    """Evaluates cells with a closed-form objective; optionally fails on chosen cells."""

    def __init__(self, max_blocks: int, failing: set[Cell] | None = None) -> None:
        self.max_blocks, self.failing, self.calls = max_blocks, failing or set(), []

    def evaluate(self, cell: Cell) -> Evaluation:
        self.calls.append(cell)
        if cell in self.failing:
            raise RuntimeError("CUDA out of memory (simulated)\nsecond line")
        return Evaluation(additive_objective(cell, self.max_blocks), parameters=10 * cell.num_blocks)

    def test(self, cell: Cell, weights: dict | None = None, checkpoint: Path | None = None) -> float | None:
        return additive_objective(cell, self.max_blocks) - 0.01
