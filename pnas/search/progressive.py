"""Progressive search (PNAS): grow cells level by level, let a surrogate pick which children to evaluate."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from pnas.errors import ConfigError
from pnas.search.spaces import CellSpace, SearchSpace
from pnas.search.strategy import Proposal, SearchStrategy
from surrogate import SURROGATES, CellTokens, EnsembleSurrogate

__all__ = ["SURROGATES", "ProgressiveSearch"]


class ProgressiveSearch(SearchStrategy):
    """PNAS: evaluate the level-1 cells, then for each next level expand the beam, score every child, take the top K.

    Step 1 proposes every level-1 cell (the 136 distinct 1-block cells of the PNAS space), or ``initial_cells`` of
    them drawn at random. After each step the beam becomes the K best cells of that step, and the surrogate is
    refitted on every accuracy seen so far. Each later step scores all children of the beam with the surrogate and
    proposes the K with the highest acquisition score: the ensemble's mean plus ``exploration`` times its std.

    With a ``budget`` (a number of evaluations) the search is anytime: once it reaches the last level it keeps
    proposing rounds of ``batch_size`` children of the last beam, refitting the surrogate after each round, until
    the budget is spent. Every step is cut to the evaluations left.

    Args:
        max_blocks: B, the number of levels (blocks of the final PNAS cells); ``None``: the space's, or 3.
        beam_size: K, the cells kept in the beam and evaluated at each step after the first.
        surrogate: ``"lstm"`` (the paper's LSTM ensemble, with the mean readout of
            :class:`~surrogate.LSTMSurrogate`) or ``"mlp"``, or an :class:`~surrogate.EnsembleSurrogate` instance
            built for the space's vocabulary.
        initial_cells: Evaluate only this many level-1 cells at step 1 (``None``: all of them).
        seed: Seed of the step-1 sample and of the surrogate.
        space: The space to search; ``None``: the PNAS cell space with ``max_blocks`` blocks.
        budget: Stop after this many evaluations, and spend what the levels leave in rounds at the last level.
        batch_size: Cells per round at the last level (``None``: ``beam_size``); only used with a ``budget``.
        exploration: Weight of the ensemble's std in the acquisition score (0: rank by predicted mean).
        final_beam_size: With a ``budget``: before each round at the last level, take as parents this many cells
            of the previous level, the best by the refitted surrogate among all it scored there, instead of the beam
            (``None``: the beam).
        mutation_parents: With a ``budget``: the unseen neighbours (one choice changed) of this many best cells of
            the last level join the candidates each round, so the surrogate also refines what was found.

    Raises:
        ConfigError: A setting is out of range, the surrogate name is unknown or ``max_blocks`` disagrees with
            ``space``.
    """

    def __init__(
        self,
        max_blocks: int | None = None,
        beam_size: int = 8,
        surrogate: str | EnsembleSurrogate = "lstm",
        initial_cells: int | None = None,
        seed: int = 0,
        space: SearchSpace | None = None,
        budget: int | None = None,
        batch_size: int | None = None,
        exploration: float = 0.0,
        final_beam_size: int | None = None,
        mutation_parents: int = 0,
    ) -> None:
        if space is None:
            space = CellSpace(3 if max_blocks is None else max_blocks)
        elif max_blocks is not None and max_blocks != space.num_levels:
            raise ConfigError(f"max_blocks={max_blocks} but the space has {space.num_levels} levels; leave it unset")
        settings = {
            "beam_size": beam_size,
            "initial_cells": initial_cells,
            "budget": budget,
            "batch_size": batch_size,
            "final_beam_size": final_beam_size,
        }
        out_of_range = {name: value for name, value in settings.items() if value is not None and value < 1}
        if out_of_range or exploration < 0:
            wrong = ", ".join(f"{name}={value}" for name, value in out_of_range.items()) or f"exploration={exploration}"
            raise ConfigError(
                f"{wrong}: beam_size, initial_cells, budget and batch_size must be >= 1, exploration >= 0"
            )
        if isinstance(surrogate, str):
            if surrogate not in SURROGATES:
                raise ConfigError(f"unknown surrogate {surrogate!r}; choose one of {', '.join(SURROGATES)}")
            surrogate = SURROGATES[surrogate](space.num_inputs, space.num_ops, seed=seed)
        self.space, self.max_blocks, self.beam_size, self.initial_cells = (
            space,
            space.num_levels,
            beam_size,
            initial_cells,
        )
        self.seed, self.budget, self.batch_size, self.exploration = seed, budget, batch_size or beam_size, exploration
        self.surrogate, self.final_beam_size, self.mutation_parents = surrogate, final_beam_size, mutation_parents
        self._last_level: set[Any] = set()
        self.num_steps = space.num_levels if budget is None else None
        self.step = 0
        self.level = 0
        self.beam: list[Any] = []
        self.parents: list[Any] = []
        self._scored: tuple[CellTokens, Callable[[int], Any]] | None = None
        self._previous_level: tuple[CellTokens, Callable[[int], Any]] | None = None
        self.history: dict[Any, float | None] = {}

    def _left(self) -> int | None:
        return None if self.budget is None else self.budget - len(self.history)

    def propose(self) -> Proposal | None:
        """Step 1: the level-1 cells. Later steps: the top-K children of the beam by acquisition score."""
        left = self._left()
        if left is not None and left <= 0:
            return None
        if self.level == 0:
            cells = self.space.initial_cells()
            if self.initial_cells is not None and self.initial_cells < len(cells):
                rng = np.random.default_rng(self.seed)
                cells = [cells[i] for i in sorted(rng.choice(len(cells), self.initial_cells, replace=False))]
            self.level = self.step = 1
            return Proposal(step=1, cells=cells[:left])
        start = time.perf_counter()
        if self.level < self.max_blocks and self.beam:
            self.level += 1
            self.parents, self._previous_level = self.beam, self._scored
            count = self.beam_size if self.level < self.max_blocks or self.budget is None else self.batch_size
        elif self.level == self.max_blocks and self.budget is not None and self.parents:
            count = self.batch_size
        else:
            return None
        extra: list[Any] = []
        if self.budget is not None and self.level == self.max_blocks:
            if self.final_beam_size is not None:
                self.parents = self._widened_beam()
            extra = self._neighbours_of_best()
        cells, predicted, scored = self.rank_children(self.parents, min(count, left or count), extra)
        if not cells:
            return None
        self.step += 1
        return Proposal(self.step, cells, list(predicted), scored, time.perf_counter() - start)

    def _widened_beam(self) -> list[Any]:
        """The ``final_beam_size`` best cells of the previous level by predicted accuracy, among all it scored."""
        if self._previous_level is None:  # the previous level was the first: nothing was scored there
            return self.parents
        tokens, child_at = self._previous_level
        mean, _ = self.surrogate.predict(tokens)
        return [child_at(int(row)) for row in np.argsort(-mean, kind="stable")[: self.final_beam_size]]

    def _neighbours_of_best(self) -> list[Any]:
        """Unseen neighbours of the ``mutation_parents`` best last-level cells evaluated so far."""
        if not self.mutation_parents:
            return []
        finished = [(acc, cell) for cell, acc in self.history.items() if acc is not None and cell in self._last_level]
        finished.sort(key=lambda pair: -pair[0])
        found: dict[Any, None] = {}
        for _, cell in finished[: self.mutation_parents]:
            found.update((n, None) for n in self.space.neighbours(cell) if n not in self.history)
        return list(found)

    def rank_children(
        self, beam: Sequence[Any], count: int, extra: Sequence[Any] = ()
    ) -> tuple[list[Any], np.ndarray, int]:
        """Score every child of ``beam``, and the ``extra`` cells; return the ``count`` best not evaluated before.

        Returns:
            The chosen children (best first), their predicted accuracies (ensemble mean), and how many were scored.
        """
        tokens, child_at = self.space.encode_children(beam)
        self._scored = (tokens, child_at)
        if extra:
            tokens, child_at = _append(tokens, child_at, [self.space.tokens(cell) for cell in extra], extra)
        mean, std = self.surrogate.predict(tokens)
        score = mean + self.exploration * std if self.exploration else mean
        chosen: dict[Any, None] = {}  # insertion-ordered, constant-time membership
        predicted: list[float] = []
        for row in np.argsort(-score, kind="stable"):
            child = child_at(int(row))
            if child in self.history or child in chosen:
                continue
            chosen[child] = None
            predicted.append(float(mean[row]))
            if len(chosen) == count:
                break
        return list(chosen), np.array(predicted), len(tokens)

    def state(self) -> dict[str, Any]:
        """The step and level reached, the beam, and how many cells have been evaluated."""
        beam = [str(cell) for cell in self.beam]
        return {"step": self.step, "level": self.level, "beam": beam, "evaluated": len(self.history)}

    def observe(self, cells: Sequence[Any], accuracies: Sequence[float | None]) -> None:
        """Record the step's accuracies, keep its K best cells as the beam, refit the surrogate if a step follows."""
        for cell, accuracy in zip(cells, accuracies, strict=True):
            self.history[cell] = accuracy
        if self.level == self.max_blocks:
            self._last_level.update(cells)
        if self.level < self.max_blocks:
            finished = [(acc, cell) for cell, acc in zip(cells, accuracies, strict=True) if acc is not None]
            finished.sort(key=lambda pair: -pair[0])  # stable: ties keep proposal order
            self.beam = [cell for _, cell in finished[: self.beam_size]]
        more = (self.level < self.max_blocks and self.beam) or (self.budget is not None and self._left() > 0)
        if more and self.level >= 1:
            known = [(cell, accuracy) for cell, accuracy in self.history.items() if accuracy is not None]
            if known:
                self.surrogate.fit([self.space.tokens(cell) for cell, _ in known], [accuracy for _, accuracy in known])


def _append(
    tokens: CellTokens, child_at: Callable[[int], Any], extra_tokens: list, extra: Sequence[Any]
) -> tuple[CellTokens, Callable[[int], Any]]:
    """``tokens`` followed by the ``extra`` cells' tokens, and the row -> cell function over both."""
    count = len(tokens)
    width = max(tokens.blocks.shape[1], *(len(cell) for cell in extra_tokens))
    blocks = np.zeros((count + len(extra), width, 4), dtype=np.int64)
    blocks[:count, : tokens.blocks.shape[1]] = tokens.blocks
    for row, cell in enumerate(extra_tokens, start=count):
        blocks[row, : len(cell)] = cell
    lengths = np.concatenate([tokens.lengths, [len(cell) for cell in extra_tokens]]).astype(np.int64)
    return CellTokens(blocks, lengths), lambda row: child_at(row) if row < count else extra[row - count]
