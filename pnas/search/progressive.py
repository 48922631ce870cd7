"""Progressive search (PNAS): grow cells block by block, let a surrogate pick which children to train."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from pnas.errors import ConfigError
from pnas.search.strategy import Proposal, SearchStrategy
from pnas.space import NUM_OPS, Cell, distinct_blocks, one_block_cells
from surrogate import CellTokens, EnsembleSurrogate, LSTMSurrogate, MLPSurrogate

__all__ = ["SURROGATES", "ProgressiveSearch"]

#: Size of the surrogate's input vocabulary: enough for cells of up to 15 blocks, whatever B a search uses.
SURROGATE_INPUTS = 16

#: Surrogate name -> class; every entry takes ``(num_inputs, num_ops, seed=...)``.
SURROGATES: dict[str, type[EnsembleSurrogate]] = {"lstm": LSTMSurrogate, "mlp": MLPSurrogate}


class ProgressiveSearch(SearchStrategy):
    """PNAS: train all 1-block cells, then for b = 2..B expand the beam, score every child, train the top K.

    Step 1 proposes every distinct 1-block cell (136), or ``initial_cells`` of them drawn at random. After each
    step the beam becomes the K best cells of that step, and the surrogate is refitted on every accuracy seen so
    far. Step b >= 2 scores all children of the beam with the surrogate and proposes the K with the highest
    predicted accuracy.

    Args:
        max_blocks: B, the number of blocks of the final cells.
        beam_size: K, the cells trained at each step b >= 2 and kept in the beam.
        surrogate: ``"lstm"`` (the paper's) or ``"mlp"``, or an :class:`~surrogate.EnsembleSurrogate` instance
            built for at least ``max_blocks + 1`` inputs and 8 ops.
        initial_cells: Train only this many 1-block cells at step 1 (``None``: all 136).
        seed: Seed of the step-1 sample and of the surrogate.

    Raises:
        ConfigError: A setting is out of range or the surrogate name is unknown.
    """

    def __init__(
        self,
        max_blocks: int = 3,
        beam_size: int = 8,
        surrogate: str | EnsembleSurrogate = "lstm",
        initial_cells: int | None = None,
        seed: int = 0,
    ) -> None:
        if max_blocks < 1 or beam_size < 1 or (initial_cells is not None and initial_cells < 1):
            raise ConfigError(
                f"max_blocks, beam_size and initial_cells must be >= 1, got max_blocks={max_blocks}, "
                f"beam_size={beam_size}, initial_cells={initial_cells}"
            )
        if isinstance(surrogate, str):
            if surrogate not in SURROGATES:
                raise ConfigError(f"unknown surrogate {surrogate!r}; choose one of {', '.join(SURROGATES)}")
            # The input vocabulary does not depend on B, so a resumed search with a larger B refits the very same
            # surrogate (same initial weights) on the stored results and proposes the same cells.
            surrogate = SURROGATES[surrogate](max(SURROGATE_INPUTS, max_blocks + 1), NUM_OPS, seed=seed)
        self.max_blocks, self.beam_size, self.initial_cells, self.seed = max_blocks, beam_size, initial_cells, seed
        self.surrogate = surrogate
        self.num_steps = max_blocks
        self.step = 0
        self.beam: list[Cell] = []
        self.history: dict[Cell, float | None] = {}

    def propose(self) -> Proposal | None:
        """Step 1: the 1-block cells. Later steps: the top-K children of the beam by predicted accuracy."""
        if self.step >= self.max_blocks or (self.step > 0 and not self.beam):
            return None
        self.step += 1
        if self.step == 1:
            cells = one_block_cells()
            if self.initial_cells is not None and self.initial_cells < len(cells):
                rng = np.random.default_rng(self.seed)
                cells = [cells[i] for i in sorted(rng.choice(len(cells), self.initial_cells, replace=False))]
            return Proposal(step=1, cells=cells)
        start = time.perf_counter()
        cells, predicted, scored = self.rank_children(self.beam, self.beam_size)
        return Proposal(self.step, cells, list(predicted), scored, time.perf_counter() - start)

    def rank_children(self, beam: Sequence[Cell], count: int) -> tuple[list[Cell], np.ndarray, int]:
        """Score every child of ``beam`` with the surrogate; return the ``count`` best not evaluated before.

        Children are encoded without building a ``Cell`` per child: each parent's tokens are repeated once per
        distinct next block, and only the chosen children become cells.

        Returns:
            The chosen children (best first), their predicted accuracies, and the number of children scored.
        """
        position = beam[0].num_blocks + 1
        if any(cell.num_blocks + 1 != position for cell in beam):
            raise ValueError("every beam cell must have the same number of blocks")
        new_blocks = distinct_blocks(position)
        parent_tokens = np.array([cell.to_tokens() for cell in beam], dtype=np.int64)  # (K, b-1, 4)
        block_tokens = np.array([block.as_tokens() for block in new_blocks], dtype=np.int64)  # (D, 4)
        per_parent = len(new_blocks)
        children = np.concatenate(
            [np.repeat(parent_tokens, per_parent, axis=0), np.tile(block_tokens, (len(beam), 1))[:, None]], axis=1
        )
        tokens = CellTokens(children, np.full(len(children), position, dtype=np.int64))
        mean, _ = self.surrogate.predict(tokens)
        chosen: list[Cell] = []
        scores: list[float] = []
        for index in np.argsort(-mean, kind="stable"):
            child = Cell(beam[index // per_parent].blocks + (new_blocks[index % per_parent],))
            if child in self.history:
                continue
            chosen.append(child)
            scores.append(float(mean[index]))
            if len(chosen) == count:
                break
        return chosen, np.array(scores), len(children)

    def state(self) -> dict[str, Any]:
        """The step reached, the beam, and how many cells have been evaluated."""
        return {"step": self.step, "beam": [str(cell) for cell in self.beam], "evaluated": len(self.history)}

    def observe(self, cells: Sequence[Cell], accuracies: Sequence[float | None]) -> None:
        """Record the step's accuracies, keep its K best cells as the beam, refit the surrogate."""
        for cell, accuracy in zip(cells, accuracies, strict=True):
            self.history[cell] = accuracy
        finished = [(accuracy, cell) for cell, accuracy in zip(cells, accuracies, strict=True) if accuracy is not None]
        finished.sort(key=lambda pair: -pair[0])  # stable: ties keep proposal order
        self.beam = [cell for _, cell in finished[: self.beam_size]]
        if self.step < self.max_blocks and self.beam:
            known = [(cell, accuracy) for cell, accuracy in self.history.items() if accuracy is not None]
            self.surrogate.fit([cell.to_tokens() for cell, _ in known], [accuracy for _, accuracy in known])
