"""Surrogate quality as the search uses it: rank correlation on cells a predictor was not fitted on.

Three modes, each measuring every predictor of :mod:`pnas.benchmark.predictors` on the same rows:

- :func:`surrogate_quality`: fit on N random cells, rank held-out cells, over random splits;
- :func:`cross_validation_quality`: k-fold cross-validation inside a small sample (the DARTS cells);
- :func:`extrapolation_quality`: fit on every NAS-Bench-201 cell of levels <= b, rank the cells of level b+1, as
  progressive search does.

Every mode returns ``{"mode", "predictors": {name: {key: {"kendall_tau": [..], "spearman": [..], "seconds": [..]}}},
"rows": {key: {"train": n, "test": m}}, ...}``, one list entry per split, fold or seed; ``key`` is the training size
N (or the level b+1 ranked); :func:`summarize_quality` reduces the lists to mean and standard error.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from pnas.benchmark.nb201_table import nasbench201_space
from pnas.benchmark.predictors import DEFAULT_PREDICTORS, Predictor, QualityData, resolve_predictors
from pnas.benchmark.table import BenchmarkTable, percent_scale
from pnas.errors import ConfigError, GenotypeError
from pnas.nn.zero_cost import PROXIES
from pnas.search.spaces.cell_space import SearchSpace
from pnas.search.spaces.nasbench201 import NASBench201Space, NB201Cell, nb201_level_cells
from pnas.search.strategies.scoring import encode
from surrogate import rank_correlations

__all__ = [
    "cross_validation_quality",
    "extrapolation_quality",
    "kfold_indices",
    "mean_se",
    "nasbench201_data",
    "side_features",
    "summarize_quality",
    "surrogate_blocks",
    "surrogate_quality",
]

_METRICS = ("kendall_tau", "spearman", "seconds")


def side_features(
    table: BenchmarkTable, architectures: Sequence[Any], params_column: str, proxies: BenchmarkTable | None = None
) -> dict[str, np.ndarray]:
    """The side features of ``architectures``: ``"params"`` from ``table``, and the zero-cost proxies.

    Each proxy of :data:`~pnas.nn.zero_cost.PROXIES` is read from ``proxies`` when given
    (``benchmarks/data/nasbench201_proxies.csv``).

    Raises:
        ConfigError: A column is missing or not numeric, or an architecture has no row in ``proxies``.
    """
    features = {"params": np.array([table.value(arch, params_column) for arch in architectures])}
    if proxies is not None:
        try:
            for name in PROXIES:
                features[name] = np.array([proxies.value(arch, name) for arch in architectures])
        except KeyError as error:
            raise ConfigError(f"no zero-cost proxies for {error.args[0]}; recompute the proxy table") from None
    return features


def nasbench201_data(
    table: BenchmarkTable, column: str, params_column: str = "params_m", proxies: BenchmarkTable | None = None
) -> QualityData:
    """Every architecture of a NAS-Bench-201 table with a finite ``column`` entry, as surrogate blocks.

    Args:
        table: The benchmark table (``arch`` strings in NB201 format).
        column: The accuracy a search sees (e.g. ``val_acc_12``); percentages become fractions.
        params_column: The parameter-count column, side feature ``"params"``.
        proxies: The zero-cost proxy table; its proxies become side features too (see :func:`side_features`).

    Raises:
        ConfigError: A column is missing or not numeric, an architecture is not in NB201 format or lacks proxies.
    """
    y = table.column(column)
    keep = np.flatnonzero(np.isfinite(y))
    architectures = [table.architectures[i] for i in keep]
    try:
        cells = [NB201Cell.from_arch(arch) for arch in architectures]
    except GenotypeError as error:
        raise ConfigError(f"{table.path} is not a NAS-Bench-201 table: {error}") from None
    targets = y[keep] / percent_scale(y)
    space = NASBench201Space()
    features = side_features(table, architectures, params_column, proxies)
    return QualityData(surrogate_blocks(space, cells), targets, space.num_inputs, space.num_ops, features)


def surrogate_blocks(space: SearchSpace, cells: Sequence[Any]) -> list[list[tuple[int, int, int, int]]]:
    """``cells`` as the blocks the search's surrogate reads (:meth:`SearchSpace.for_surrogate`)."""
    tokens = space.for_surrogate(encode(space, cells))
    return [
        [tuple(block) for block in tokens.blocks[row, :length].tolist()] for row, length in enumerate(tokens.lengths)
    ]


def kfold_indices(count: int, folds: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``folds`` (train, test) row splits of ``count`` rows: the test parts are disjoint and cover every row.

    Rows are shuffled with ``seed`` first, so each training part is in random order (its first N rows are a random
    subset of it).

    Raises:
        ConfigError: Fewer than 2 folds, or more folds than rows.
    """
    if not 2 <= folds <= count:
        raise ConfigError(f"cross-validation needs 2 to {count} folds, got {folds}")
    order = np.random.default_rng(seed).permutation(count)
    parts = np.array_split(order, folds)
    return [(np.concatenate(parts[:k] + parts[k + 1 :]), test) for k, test in enumerate(parts)]


def mean_se(values: Sequence[float]) -> tuple[float, float]:
    """The mean of ``values`` and its standard error (NaN for a single value)."""
    array = np.asarray(values, dtype=np.float64)
    se = float(array.std(ddof=1) / np.sqrt(array.size)) if array.size > 1 else float("nan")
    return float(array.mean()), se


def summarize_quality(report: dict[str, Any]) -> dict[str, dict[Any, dict[str, tuple[float, float]]]]:
    """``{name: {key: {metric: (mean, standard error)}}}`` of a report of any mode."""
    return {
        name: {key: {metric: mean_se(entry[metric]) for metric in _METRICS} for key, entry in by_key.items()}
        for name, by_key in report["predictors"].items()
    }


def _at_least_one(**counts: int) -> None:
    for name, count in counts.items():
        if count < 1:
            raise ConfigError(f"{name} must be at least 1, got {count}")


class _Scores:
    """Runs each predictor on (train, test) row pairs and collects its rank correlations under a key."""

    def __init__(self, names: Sequence[str], total: int, description: str, progress: bool) -> None:
        self.predictors: dict[str, Predictor] = resolve_predictors(names)
        self.scores: dict[str, dict[Any, dict[str, list[float]]]] = {name: {} for name in self.predictors}
        self.rows: dict[Any, dict[str, int]] = {}
        self.bar = tqdm(total=total * len(self.predictors), desc=description, unit="fit", disable=not progress)

    def add(self, key: Any, data: QualityData, train: np.ndarray, test: np.ndarray, seed: int) -> None:
        self.rows[key] = {"train": len(train), "test": len(test)}
        for name, predictor in self.predictors.items():
            start = time.perf_counter()
            predicted = predictor(data, train, test, seed)
            seconds = time.perf_counter() - start
            entry = self.scores[name].setdefault(key, {metric: [] for metric in _METRICS})
            for metric, value in rank_correlations(predicted, data.targets[test]).items():
                entry[metric].append(value)
            entry["seconds"].append(seconds)
            self.bar.update()

    def report(self, mode: str, **fields: Any) -> dict[str, Any]:
        self.bar.close()
        return {"mode": mode, **fields, "rows": self.rows, "predictors": self.scores}


def surrogate_quality(
    data: QualityData,
    sizes: Sequence[int] = (50, 100, 200, 400),
    held_out: int = 3000,
    splits: int = 5,
    predictors: Sequence[str] = DEFAULT_PREDICTORS,
    progress: bool = True,
) -> dict[str, Any]:
    """Random split: fit each predictor on N random cells and rank ``held_out`` others, for each N and split.

    Split ``s`` shuffles the rows with seed ``s`` (also the predictors' seed): the first ``held_out`` rows are held
    out, the next N (for each N in ``sizes``) train, so every predictor and N ranks the same cells.

    Args:
        data: The cells, targets and side features (:func:`nasbench201_data`).
        sizes: Training-set sizes N.
        held_out: Cells ranked per split.
        splits: Random splits per N.
        predictors: Keys of :data:`~pnas.benchmark.predictors.PREDICTORS`.
        progress: Show a progress bar.

    Returns:
        The report described in :mod:`pnas.benchmark.quality`, mode ``"random_split"``, keyed by N.

    Raises:
        ConfigError: The data has fewer than ``held_out + max(sizes)`` cells, no split, or a predictor is unknown.
    """
    _at_least_one(splits=splits, smallest_size=min(sizes, default=0))
    if held_out < 2 or held_out + max(sizes) > len(data):
        raise ConfigError(f"{len(data)} cells cannot hold out {held_out} and train on {max(sizes, default=0)}")
    scores = _Scores(predictors, splits * len(sizes), "random split", progress)
    for split in range(splits):
        order = np.random.default_rng(split).permutation(len(data))
        for n in sizes:
            scores.add(n, data, order[held_out : held_out + n], order[:held_out], split)
    return scores.report("random_split", sizes=list(sizes), held_out=held_out, splits=splits)


def cross_validation_quality(
    data: QualityData,
    folds: int = 5,
    sizes: Sequence[int] = (50, 100),
    max_folds: int | None = None,
    predictors: Sequence[str] = DEFAULT_PREDICTORS,
    progress: bool = True,
) -> dict[str, Any]:
    """k-fold cross-validation: fit on all but one fold (and on its first N rows), rank the fold left out.

    Args:
        data: The cells, targets and side features (e.g. :func:`~pnas.benchmark.darts.load_darts_sample`).
        folds: k; fold ``k`` also seeds the predictors.
        sizes: Subset sizes N of each training part, besides the whole part (sizes not below it are dropped).
        max_folds: Evaluate only the first this many folds (default: all), to save time.
        predictors: Keys of :data:`~pnas.benchmark.predictors.PREDICTORS`.
        progress: Show a progress bar.

    Returns:
        The report described in :mod:`pnas.benchmark.quality`, mode ``"cross_validation"``, keyed by N.

    Raises:
        ConfigError: Bad fold count, ``max_folds`` below 1, or a predictor is unknown.
    """
    _at_least_one(max_folds=folds if max_folds is None else max_folds)
    splits = kfold_indices(len(data), folds)[:max_folds]
    whole = min(len(train) for train, _ in splits)
    used = sorted({n for n in sizes if 2 <= n < whole} | {whole})
    scores = _Scores(predictors, len(splits) * len(used), "cross-validation", progress)
    for fold, (train, test) in enumerate(splits):
        for n in used:
            scores.add(n, data, train[:n], test, fold)
    return scores.report("cross_validation", folds=folds, evaluated_folds=len(splits), sizes=used)


def extrapolation_quality(
    table: BenchmarkTable,
    column: str,
    seeds: int = 5,
    predictors: Sequence[str] = DEFAULT_PREDICTORS,
    params_column: str = "params_m",
    progress: bool = True,
    proxies: BenchmarkTable | None = None,
) -> dict[str, Any]:
    """NAS-Bench-201 extrapolation: fit on every cell of levels <= b, rank the cells of level b + 1.

    With all 5 ops: b = 1 fits 5 cells and ranks 125, b = 2 fits 130 and ranks 15,625, as progressive search
    grows its cells. A partial cell is looked up by the architecture it realises.

    Args:
        table: A NAS-Bench-201 table holding every partial cell.
        column: The accuracy a search sees (e.g. ``val_acc_12``).
        seeds: Seeds per level, for the stochastic predictors.
        predictors: Keys of :data:`~pnas.benchmark.predictors.PREDICTORS`.
        params_column: The parameter-count column, side feature ``"params"``.
        progress: Show a progress bar.
        proxies: The zero-cost proxy table, for side features (see :func:`side_features`).

    Returns:
        The report described in :mod:`pnas.benchmark.quality`, mode ``"extrapolation"``, keyed by level b + 1.

    Raises:
        ConfigError: The table is not NB201, lacks a cell of a level, a column is missing, or ``seeds`` < 1.
    """
    _at_least_one(seeds=seeds)
    space = nasbench201_space(table)
    scale = percent_scale(table.column(column))
    levels = [nb201_level_cells(level, space.ops) for level in range(1, space.num_levels + 1)]
    scores = _Scores(predictors, seeds * (len(levels) - 1), "extrapolation", progress)
    for b in range(1, len(levels)):
        cells = [cell for level in levels[: b + 1] for cell in level]  # levels <= b, then level b + 1
        try:
            y = np.array([table.value(cell, column) for cell in cells]) / scale
            features = side_features(table, cells, params_column, proxies)
        except KeyError as error:
            raise ConfigError(f"{table.path} lacks a level-{b + 1} cell: {error.args[0]}") from None
        data = QualityData(surrogate_blocks(space, cells), y, space.num_inputs, space.num_ops, features)
        first = len(cells) - len(levels[b])
        train, test = np.arange(first), np.arange(first, len(cells))
        train, test = train[np.isfinite(y[train])], test[np.isfinite(y[test])]
        for seed in range(seeds):
            scores.add(b + 1, data, train, test, seed)
    return scores.report("extrapolation", column=column, seeds=seeds)
