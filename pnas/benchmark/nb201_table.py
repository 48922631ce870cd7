"""A NAS-Bench-201 table as the benchmark reads it: the space of its architectures, and a column as a cost."""

from __future__ import annotations

import numpy as np

from pnas.benchmark.table import BenchmarkTable
from pnas.errors import ConfigError, GenotypeError
from pnas.search.spaces.nasbench201 import NB201_EDGES, NB201_OPS, NASBench201Space, NB201Cell
from surrogate import CellTokens

__all__ = ["NB201TableCost", "nasbench201_space"]


def nasbench201_space(table: BenchmarkTable) -> NASBench201Space:
    """The NB201 space over the ops the table's architectures use, checked to hold every partial cell.

    Raises:
        ConfigError: An architecture is not in NB201 format, or a level-1 or level-2 cell is missing.
    """
    try:
        cells = [NB201Cell.from_arch(arch) for arch in table.architectures]
    except GenotypeError as error:
        raise ConfigError(f"{table.path} is not a NAS-Bench-201 table: {error}") from None
    used = {op for cell in cells for op in cell.edges}
    space = NASBench201Space([op for op in NB201_OPS if op in used])
    known = set(cells)
    for cell in space.initial_cells():
        for partial in (cell, *cell.children(space.ops)):
            if partial not in known:
                raise ConfigError(f"{table.path} lacks {partial.to_arch()}, a level-{partial.level} cell")
    return space


class NB201TableCost:
    """A numeric column of an NB201 table (e.g. ``params_m``) as a cost known before evaluation.

    It prices cells (:meth:`of_cell`) and encoded cells (calling it, as a
    :data:`~pnas.search.constraints.limits.CostFunction` for
    :class:`~pnas.search.strategies.progressive.ProgressiveSearch`'s
    ``pareto_cost``) alike, by one array lookup per cell. A cell missing from the table, or with no entry, costs NaN.

    Args:
        table: The table.
        column: The cost column (lower is better).

    Raises:
        ConfigError: The column is missing, not numeric or all NaN, or an architecture is not in NB201 format.
    """

    def __init__(self, table: BenchmarkTable, column: str) -> None:
        entries = table.column(column)
        self.name = column
        self.values = np.full(len(NB201_OPS) ** len(NB201_EDGES), np.nan)
        try:
            codes = [_cell_code(NB201Cell.from_arch(arch)) for arch in table.architectures]
        except GenotypeError as error:
            raise ConfigError(f"{table.path} is not a NAS-Bench-201 table: {error}") from None
        if np.isnan(entries).all():
            raise ConfigError(f"column {column} of {table.path} has no entries (all NaN); choose a cost column")
        self.values[codes] = entries
        self.minimum, self.maximum = float(np.nanmin(entries)), float(np.nanmax(entries))

    def of_cell(self, cell: NB201Cell) -> float:
        """The cell's cost."""
        return float(self.values[_cell_code(cell)])

    def __call__(self, tokens: CellTokens) -> dict[str, np.ndarray]:
        """``{column: cost of each encoded cell}`` (cells encoded by :meth:`NASBench201Space.encode_children`)."""
        ops = tokens.blocks[:, : len(NB201_EDGES), 1]
        return {self.name: self.values[ops @ _CODE_WEIGHTS]}


#: Weights turning a cell's 6 op indices into its position among all 5**6 cells.
_CODE_WEIGHTS = len(NB201_OPS) ** np.arange(len(NB201_EDGES))


def _cell_code(cell: NB201Cell) -> int:
    """The cell's position among all 5**6 cells (the row of its cost)."""
    return int(np.dot([NB201_OPS.index(op) for op in cell.edges], _CODE_WEIGHTS))
