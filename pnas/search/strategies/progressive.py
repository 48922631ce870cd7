"""Progressive search (PNAS, Liu et al. 2018, Algorithm 1): grow cells level by level, a surrogate picks what to train.

The budgeted, anytime variant used by the benchmarks is
:class:`~pnas.search.strategies.anytime.AnytimeProgressiveSearch`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from pnas.errors import ConfigError
from pnas.search.constraints.limits import CellConstraints, CostFunction, CostLimits, LatencyLimit
from pnas.search.spaces.cell_space import CellSpace, SearchSpace
from pnas.search.strategies.base import Proposal, SearchStrategy
from pnas.search.strategies.scoring import UnitScale, append_cells, check_positive, encode, front_first
from surrogate import CellTokens, EnsembleSurrogate

__all__ = ["SIDE_FEATURES_FROM", "ProgressiveSearch", "SideFeatures"]

#: Side inputs of the surrogate known before training (zero-cost proxies, ...): cells -> an ``(n, k)`` array.
SideFeatures = Callable[[Sequence[Any]], np.ndarray]

#: The surrogate takes the side features once it is fitted on at least this many cells; before, on few cells, it fits
#: on the cells alone and no side feature is asked for.
SIDE_FEATURES_FROM = 40


class ProgressiveSearch(SearchStrategy):
    """PNAS: evaluate the level-1 cells, then for each next level expand the beam, score every child, take the top K.

    Step 1 proposes every level-1 cell (the 136 distinct 1-block cells of the PNAS space), or ``initial_cells`` of
    them drawn at random. As in Algorithm 1 of the paper, every cell a step evaluated (all of step 1's, the K of a
    later step; failed ones left out) becomes the beam the next level expands, and the surrogate is refitted on
    every accuracy seen so far. Each later step scores all children of the beam with the surrogate and proposes
    the K with the highest acquisition score: the ensemble's mean plus ``exploration`` times its std (the paper
    ranks by the mean: ``exploration=0``). The search's answer is the best cell of the last step.

    Args:
        max_blocks: B, the number of levels (blocks of the final PNAS cells); ``None``: the space's, or 3.
        beam_size: K, the cells evaluated at each step after the first (and so the beam of the next level).
        surrogate: ``"lstm"`` (the paper's LSTM ensemble, with the mean readout of
            :class:`~surrogate.LSTMSurrogate`), ``"mlp"``, ``"forest"`` (:class:`~surrogate.ForestSurrogate`),
            ``"blend"`` (the LSTM and the forest averaged, :class:`~surrogate.BlendSurrogate`), or a surrogate
            instance built for the space's vocabulary.
        initial_cells: Evaluate only this many level-1 cells at step 1 (``None``: all of them).
        seed: Seed of the step-1 sample and of the surrogate.
        space: The space to search; ``None``: the PNAS cell space with ``max_blocks`` blocks.
        exploration: Weight of the ensemble's std in the acquisition score (0: rank by predicted mean).
        constraints: What every proposed cell must respect (:class:`~pnas.search.constraints.limits.CellConstraints`):
            hard ``limits`` on costs known before training (a cell over one is never proposed, at step 1 or later;
            each proposal counts the cells left out as ``excluded``); a ``latency_limit`` checked on each cell as it
            is about to be proposed; the ``pareto_cost`` ``(name, costs)`` of Pareto mode, as POPNAS builds its beam:
            each later step first takes the children in order of acquisition score, keeping one only if
            ``costs(tokens)[name]`` is lower than the last kept one's (the predicted front of score against cost),
            then tops the step up to K by score. :meth:`constrain` sets them later.
        side_features: The surrogate's side inputs of cells (e.g. zero-cost proxies), used once it is fitted on
            :data:`SIDE_FEATURES_FROM` cells; then asked for every cell fitted on and every cell
            scored (a departure from the paper, whose predictor sees the cell alone).

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
        exploration: float = 0.0,
        constraints: CellConstraints | None = None,
        side_features: SideFeatures | None = None,
    ) -> None:
        from surrogate import SURROGATES

        if space is None:
            space = CellSpace(3 if max_blocks is None else max_blocks)
        elif max_blocks is not None and max_blocks != space.num_levels:
            raise ConfigError(f"max_blocks={max_blocks} but the space has {space.num_levels} levels; leave it unset")
        check_positive(beam_size=beam_size, initial_cells=initial_cells)
        if exploration < 0:
            raise ConfigError(f"exploration must be >= 0, got {exploration}")
        self.surrogate_name = surrogate if isinstance(surrogate, str) else type(surrogate).__qualname__
        if isinstance(surrogate, str):
            if surrogate not in SURROGATES:
                raise ConfigError(f"unknown surrogate {surrogate!r}; choose one of {', '.join(SURROGATES)}")
            surrogate = SURROGATES[surrogate](space.num_inputs, space.num_ops, seed=seed)
        self.space, self.max_blocks, self.beam_size = space, space.num_levels, beam_size
        self.initial_cells, self.seed, self.exploration, self.surrogate = initial_cells, seed, exploration, surrogate
        self.num_steps: int | None = space.num_levels
        self.step = 0
        self.level = 0
        self.beam: list[Any] = []
        self.parents: list[Any] = []
        self._scored: tuple[CellTokens, Callable[[int], Any]] | None = None
        self._previous_level: tuple[CellTokens, Callable[[int], Any]] | None = None
        self.history: dict[Any, float | None] = {}
        self._spread: dict[Any, float] = {}  # the spread of the prediction of each cell chosen, for its proposal
        self._scale = UnitScale()
        self.constraints = constraints or CellConstraints()
        self.side_features = side_features
        self._fitted_with_features = False
        self._excluded = 0

    def propose(self) -> Proposal | None:
        """Step 1: the level-1 cells. Later steps: the top-K children of the beam by acquisition score."""
        if self.level == 0:
            return self._first_step()
        if self.level < self.max_blocks and self.beam:
            self._next_level()
            return self._children_step(self.parents, self.beam_size)
        return None

    @property
    def limits(self) -> CostLimits | None:
        """The hard limits on costs known before training, if any."""
        return self.constraints.limits

    @property
    def latency_limit(self) -> LatencyLimit | None:
        """The limit on latency, if any."""
        return self.constraints.latency_limit

    @property
    def pareto_cost(self) -> tuple[str, CostFunction] | None:
        """``(name, costs)`` of Pareto mode, if on."""
        return self.constraints.pareto_cost

    def constrain(self, constraints: CellConstraints) -> None:
        """Respect ``constraints`` from the first proposal on.

        Raises:
            ConfigError: No level-1 cell fits them (raised now, before a search writes anything).
        """
        self.constraints = constraints
        self.check_limits()

    def check_limits(self) -> None:
        """Raise the limits' ``ConfigError`` now if no level-1 cell fits them, before a search writes anything."""
        self._fitting_initial_cells()

    def _fitting_initial_cells(self) -> tuple[list[Any], int]:
        """Step 1's cells: the level-1 cells within every limit, or ``initial_cells`` of them; how many were left out.

        A latency limit times only the cells about to be proposed: in the order of the seeded draw until
        ``initial_cells`` fit.

        Raises:
            ConfigError: None fits.
        """
        cells, excluded = self.space.initial_cells(), 0
        if self.limits:
            fits = self.limits.fits(encode(self.space, cells), step=1)
            cells, excluded = [cell for cell, ok in zip(cells, fits, strict=True) if ok], int((~fits).sum())
        wanted = len(cells) if self.initial_cells is None else min(self.initial_cells, len(cells))
        rng = np.random.default_rng(self.seed)
        if self.latency_limit is None:
            if wanted < len(cells):
                cells = [cells[i] for i in sorted(rng.choice(len(cells), wanted, replace=False))]
            return cells, excluded
        kept: list[int] = []
        too_slow: list[Any] = []
        for index in rng.permutation(len(cells)) if wanted < len(cells) else range(len(cells)):
            if self.latency_limit.admits(cells[index]):
                kept.append(int(index))
                if len(kept) == wanted:
                    break
            else:
                too_slow.append(cells[index])
        if not kept and too_slow:
            raise self.latency_limit.nothing_fits(too_slow, step=1)
        return [cells[i] for i in sorted(kept)], excluded + len(too_slow)

    def _first_step(self, limit: int | None = None) -> Proposal:
        """Every level-1 cell, or ``initial_cells`` of them drawn by seed; at most ``limit``."""
        cells, excluded = self._fitting_initial_cells()
        self.level = self.step = 1
        return Proposal(step=1, cells=cells[:limit], excluded=excluded)

    def _next_level(self) -> None:
        """Move one level down: the beam becomes the parents of the children to score."""
        self.level += 1
        self.parents, self._previous_level = self.beam, self._scored

    def _children_step(
        self,
        parents: Sequence[Any],
        count: int,
        extra: Sequence[Any] = (),
        start: float | None = None,
        kept: dict[Any, float] | None = None,
        scored: int = 0,
    ) -> Proposal | None:
        """The next step: the ``count`` best unseen children of ``parents`` (and ``extra`` cells) by the surrogate.

        ``start`` is when the step's scoring began (default: now), for the proposal's ``scoring_seconds``. ``kept``
        cells (with their predictions) come first, and the best of the others fill the step up to ``count``;
        ``scored`` counts the cells the surrogate scored to choose them, beside those scored here.
        """
        start = time.perf_counter() if start is None else start
        cells, predicted, scored_here = self.rank_children(parents, count, extra)
        scored += scored_here
        chosen = dict(kept or {})
        for cell, value in zip(cells, predicted, strict=True):
            if len(chosen) == count:
                break
            chosen.setdefault(cell, float(value))
        if not chosen:
            return None
        self.step += 1
        seconds = time.perf_counter() - start
        spread, self._spread = [self._spread.get(cell) for cell in chosen], {}
        return Proposal(self.step, list(chosen), list(chosen.values()), scored, seconds, self._excluded, spread)

    def rank_children(
        self, beam: Sequence[Any], count: int, extra: Sequence[Any] = ()
    ) -> tuple[list[Any], np.ndarray, int]:
        """Score every child of ``beam``, and the ``extra`` cells; return the ``count`` best not evaluated before.

        With an empty ``beam`` only the ``extra`` cells are scored.

        Returns:
            The chosen children (best first), their predicted accuracies (ensemble mean), and how many were scored.
        """
        if not beam:  # the extra cells alone
            if not extra:
                return [], np.array([]), 0
            tokens, child_at = encode(self.space, extra), list(extra).__getitem__
        else:
            tokens, child_at = self.space.encode_children(beam)
            self._scored = (tokens, child_at)
            if extra:
                tokens, child_at = append_cells(tokens, child_at, [self.space.tokens(cell) for cell in extra], extra)
        mean, std = self.predict(tokens, child_at)
        score = mean + self.exploration * std if self.exploration else mean
        self._excluded = 0
        if self.limits:
            fits = self.limits.fits(tokens, step=self.step + 1)
            score = np.where(fits, score, -np.inf)
            self._excluded = int((~fits).sum())
        chosen: dict[Any, None] = {}  # insertion-ordered, constant-time membership
        predicted: list[float] = []
        too_slow: list[Any] = []
        order = np.argsort(-score, kind="stable")
        if self.pareto_cost is not None:
            name, costs = self.pareto_cost
            order = front_first(
                order, np.asarray(costs(tokens)[name]), score, lambda row: child_at(row) in self.history
            )
        for row in order:
            if score[row] == -np.inf:
                break  # the rest are over a limit (the front, moved ahead, holds none of them)
            child = child_at(int(row))
            if child in self.history or child in chosen:
                continue
            if self.latency_limit is not None and not self.latency_limit.admits(child):
                self._excluded += 1
                too_slow.append(child)
                continue
            chosen[child] = None
            predicted.append(float(mean[row]))
            self._spread[child] = float(std[row])
            if len(chosen) == count:
                break
        if too_slow and not chosen:
            raise self.latency_limit.nothing_fits(too_slow, step=self.step + 1)
        return list(chosen), np.array(predicted), len(tokens)

    def observe(self, cells: Sequence[Any], accuracies: Sequence[float | None]) -> None:
        """Record the step's accuracies, keep its K best cells as the beam, refit the surrogate if a step follows."""
        for cell, accuracy in zip(cells, accuracies, strict=True):
            self.history[cell] = accuracy
        if self.level < self.max_blocks:
            finished = [(acc, cell) for cell, acc in zip(cells, accuracies, strict=True) if acc is not None]
            finished.sort(key=lambda pair: -pair[0])  # stable: ties keep proposal order
            self.beam = [cell for _, cell in finished]  # every finished cell of the step expands (Algorithm 1)
        if self._refits():
            self._fit_surrogate()

    def _fit_surrogate(self) -> None:
        """Fit the surrogate on every finished cell so far (nothing while none has finished)."""
        known = [(cell, accuracy) for cell, accuracy in self.history.items() if accuracy is not None]
        if known:
            targets = np.array([accuracy for _, accuracy in known], dtype=float)
            self._scale = UnitScale.of(targets)
            cells = [cell for cell, _ in known]
            self._fitted_with_features = self.side_features is not None and len(cells) >= SIDE_FEATURES_FROM
            features = self.side_features(cells) if self._fitted_with_features else None
            tokens = self.space.for_surrogate(encode(self.space, cells))
            self.surrogate.fit(tokens, self._scale.to_unit(targets), features=features)

    def predict(self, tokens: CellTokens, cell_at: Callable[[int], Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The surrogate's mean and std for ``tokens``, in the units of the observed scores.

        When the surrogate was fitted with side features, ``cell_at`` gives the cell of each row.
        """
        features = None
        if self.side_features is not None and self._fitted_with_features:
            if cell_at is None:
                raise ValueError("this search's surrogate uses side features: pass the cells of the tokens")
            features = self.side_features([cell_at(row) for row in range(len(tokens))])
        mean, std = self.surrogate.predict(self.space.for_surrogate(tokens), features=features)
        return self._scale.from_unit(mean), std * self._scale.span

    def _continues(self) -> bool:
        """Whether another step follows the one just observed."""
        return self.level < self.max_blocks and bool(self.beam)

    def _refits(self) -> bool:
        """Whether to refit the surrogate on the step just observed: whenever another step follows."""
        return self._continues()

    def settings(self) -> dict[str, Any]:
        """The space, K, the surrogate, the step-1 sample, the seed and the acquisition (not B: it may grow)."""
        return {
            "space": self.space.settings(),
            "beam_size": self.beam_size,
            "surrogate": self.surrogate_name,
            "initial_cells": self.initial_cells,
            "seed": self.seed,
            "exploration": self.exploration,
            **({"side_features": _name_of(self.side_features)} if self.side_features else {}),
            **self.constraints.settings(),
        }

    def state(self) -> dict[str, Any]:
        """The step and level reached, the beam, and how many cells have been evaluated."""
        beam = [str(cell) for cell in self.beam]
        return {"step": self.step, "level": self.level, "beam": beam, "evaluated": len(self.history)}


def _name_of(side_features: SideFeatures) -> str:
    """The name recorded in a search's settings for its side features: their ``name``, else their type's."""
    return str(getattr(side_features, "name", type(side_features).__qualname__))
