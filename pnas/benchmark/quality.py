"""How well surrogates rank architectures they were not fitted on: Kendall tau and Spearman on held-out cells."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import kendalltau, spearmanr
from tqdm.auto import tqdm

from pnas.errors import ConfigError
from pnas.search.progressive import SURROGATES
from pnas.search.spaces import SearchSpace
from pnas.search.table import BenchmarkTable, percent_scale

__all__ = ["surrogate_quality"]


def surrogate_quality(
    table: BenchmarkTable,
    space: SearchSpace,
    parse: Any,
    column: str,
    sizes: Sequence[int] = (50, 100, 200, 400),
    held_out: int = 3000,
    splits: int = 5,
    surrogates: Sequence[str] = ("lstm", "mlp"),
    baseline_column: str | None = "params_m",
    progress: bool = True,
) -> dict[str, Any]:
    """Fit each surrogate on N random architectures and rank ``held_out`` others, for each N and split.

    Split ``s`` shuffles the table with seed ``s``: the first ``held_out`` rows are held out, the next N (for each N
    in ``sizes``) train. The baseline ranks the held-out cells by ``baseline_column`` alone (e.g. parameter count).

    Args:
        table: The benchmark table.
        space: The space its architectures belong to (for the surrogate's encoding).
        parse: Turns an architecture string of the table into a cell of ``space``.
        column: The accuracy column to fit and to rank by.
        sizes: Training-set sizes N.
        held_out: Architectures scored per split.
        splits: Random splits per N.
        surrogates: Keys of :data:`~pnas.search.progressive.SURROGATES`.
        baseline_column: A column whose value alone ranks the held-out cells; ``None``: no baseline.
        progress: Show a progress bar.

    Returns:
        ``{"column", "held_out", "splits", "sizes", "predictors": {name: {N: {"kendall_tau": [..],
        "spearman": [..], "fit_seconds": [..]}}}}``, one list entry per split.

    Raises:
        ConfigError: The table is too small for ``held_out + max(sizes)`` rows, or a name is unknown.
    """
    if held_out + max(sizes) > len(table):
        raise ConfigError(f"{len(table)} rows cannot hold out {held_out} and train on {max(sizes)}")
    unknown = [name for name in surrogates if name not in SURROGATES]
    if unknown:
        raise ConfigError(f"unknown surrogate {unknown[0]!r}; choose from {', '.join(SURROGATES)}")
    y = table.column(column) / percent_scale(table.column(column))
    tokens = [space.tokens(parse(arch)) for arch in table.architectures]
    predictors = [*surrogates, *([baseline_column] if baseline_column else [])]
    scores: dict[str, dict[int, dict[str, list[float]]]] = {
        name: {n: {"kendall_tau": [], "spearman": [], "fit_seconds": []} for n in sizes} for name in predictors
    }
    with tqdm(total=splits * len(sizes), desc="surrogate quality", unit="fit", disable=not progress) as bar:
        for split in range(splits):
            order = np.random.default_rng(split).permutation(len(table))
            test = order[:held_out]
            for n in sizes:
                train = order[held_out : held_out + n]
                for name in predictors:
                    start = time.perf_counter()
                    if name in surrogates:
                        model = SURROGATES[name](space.num_inputs, space.num_ops, seed=split)
                        model.fit([tokens[i] for i in train], y[train])
                        predicted = model.predict([tokens[i] for i in test])[0]
                    else:
                        predicted = table.column(name)[test]
                    entry = scores[name][n]
                    entry["fit_seconds"].append(time.perf_counter() - start)
                    entry["kendall_tau"].append(float(kendalltau(predicted, y[test])[0]))
                    entry["spearman"].append(float(spearmanr(predicted, y[test])[0]))
                bar.update()
    return {"column": column, "held_out": held_out, "splits": splits, "sizes": list(sizes), "predictors": scores}
