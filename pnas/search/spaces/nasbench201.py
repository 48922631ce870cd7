"""NAS-Bench-201: its cell grown node by node, and its search space.

A NAS-Bench-201 (NB201) cell has 4 nodes: node 0 is the cell input, node 3 the output, and node j (1..3) sums one
operation applied to every earlier node, 6 edges in all. It grows in 3 levels, each choosing one more node:

- level 1: node 1 is chosen; node 2 = skip(node 1), node 3 = skip(node 2), every other edge is ``none``;
- level 2: nodes 1 and 2 are chosen; node 3 = skip(node 2);
- level 3: the full cell.

So every partial cell is a real NB201 architecture with its own entry in the benchmark's table: 5 cells at level 1,
125 at level 2, 15,625 at level 3. Two cells with the same 6 edges are equal whatever their level. Nothing here
imports torch.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pnas.errors import ConfigError, GenotypeError, brief
from pnas.search.spaces.cell_space import SearchSpace
from surrogate import CellTokens, encode_cells

__all__ = [
    "NB201_EDGES",
    "NB201_OPS",
    "NASBench201Space",
    "NB201Cell",
    "live_ops",
    "nb201_level_cells",
]

#: The operations of an NB201 edge, in the benchmark's order.
NB201_OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")

#: The 6 edges ``(node, input node)`` in the order of the benchmark's architecture string.
NB201_EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))

#: Edges chosen up to each level: level 1 chooses node 1's edge, level 2 adds node 2's, level 3 node 3's.
_CHOSEN_EDGES = {1: 1, 2: 3, 3: 6}

#: The edges a partial cell does not choose, per level: pass node 1 (level 1) or node 2 (level 2) on to the output.
_PASS_THROUGH = {1: ("none", "skip_connect", "none", "none", "skip_connect"), 2: ("none", "none", "skip_connect")}


def live_ops(ops: np.ndarray) -> np.ndarray:
    """Op indices ``(n, 6)`` of NB201 cells with each edge that carries nothing to the output set to ``none``.

    An edge is live when its op is not ``none``, its input node is reached from the cell input and its node reaches
    the output, each through edges that are not ``none``.
    """
    on = ops != NB201_OPS.index("none")
    e10, e20, e21, e30, e31, e32 = on.T  # edge (node, input), in NB201_EDGES order
    reached_1 = e10
    reached_2 = e20 | (e21 & reached_1)
    reaches_2 = e32
    reaches_1 = e31 | (e21 & reaches_2)
    live = np.stack(
        [e10 & reaches_1, e20 & reaches_2, e21 & reached_1 & reaches_2, e30, e31 & reached_1, e32 & reached_2], 1
    )
    return np.where(live, ops, NB201_OPS.index("none"))


@dataclass(frozen=True)
class NB201Cell:
    """An NB201 architecture reached at some level of the progressive search.

    Attributes:
        edges: The operation of each of the 6 edges, in :data:`NB201_EDGES` order.
        level: The level it was grown to (1..3); not part of equality: the architecture is the edges.
    """

    edges: tuple[str, ...]
    level: int = field(default=3, compare=False)

    def __post_init__(self) -> None:
        if len(self.edges) != len(NB201_EDGES) or any(op not in NB201_OPS for op in self.edges):
            raise GenotypeError(
                f"an NB201 cell has 6 edges, each one of {', '.join(NB201_OPS)}; got {brief(self.edges)}"
            )
        if self.level not in _CHOSEN_EDGES:
            raise GenotypeError(f"NB201 level must be 1, 2 or 3, got {brief(self.level)}")
        if self.level < 3 and self.edges[_CHOSEN_EDGES[self.level] :] != _PASS_THROUGH[self.level]:
            raise GenotypeError(f"{self.to_arch()} is not a level-{self.level} cell: its later nodes must pass through")

    @classmethod
    def from_chosen(cls, ops: tuple[str, ...]) -> NB201Cell:
        """The cell whose chosen edges are ``ops`` (1, 3 or 6 of them); the level follows from their number."""
        level = {chosen: level for level, chosen in _CHOSEN_EDGES.items()}.get(len(ops))
        if level is None:
            raise GenotypeError(f"a partial NB201 cell chooses 1, 3 or 6 edges, got {len(ops)}")
        return cls(tuple(ops) + _PASS_THROUGH.get(level, ()), level)

    @classmethod
    def from_arch(cls, arch: str) -> NB201Cell:
        """Parse the benchmark's string, e.g. ``|nor_conv_3x3~0|+|none~0|skip_connect~1|+|...~2|`` (level 3).

        Raises:
            GenotypeError: ``arch`` is not a string of a 4-node NB201 cell.
        """
        if not isinstance(arch, str):
            raise GenotypeError(f"an NB201 architecture is a string, got {type(arch).__name__}")
        nodes = arch.strip().strip("|").split("|+|")
        edges: list[str] = []
        for node, text in enumerate(nodes, start=1):
            entries = text.split("|")
            if len(entries) != node or any(entry.partition("~")[2] != str(i) for i, entry in enumerate(entries)):
                raise GenotypeError(
                    f"not an NB201 architecture string: {brief(arch)}; expected |op~0|+|op~0|op~1|+|..."
                )
            edges += [entry.partition("~")[0] for entry in entries]
        return cls(tuple(edges))

    @property
    def chosen(self) -> tuple[str, ...]:
        """The operations chosen so far (1, 3 or 6)."""
        return self.edges[: _CHOSEN_EDGES[self.level]]

    def children(self, ops: Sequence[str] = NB201_OPS) -> list[NB201Cell]:
        """Every cell one level deeper that keeps this cell's choices (25 or 125; none at level 3).

        Args:
            ops: The operations the new edges may take (default: all 5).
        """
        if self.level == 3:
            return []
        count = _CHOSEN_EDGES[self.level + 1] - _CHOSEN_EDGES[self.level]
        return [NB201Cell.from_chosen(self.chosen + new) for new in itertools.product(ops, repeat=count)]

    def to_arch(self) -> str:
        """The benchmark's architecture string of the realised cell."""
        ops = iter(self.edges)
        return "|" + "|+|".join("|".join(f"{next(ops)}~{i}" for i in range(node)) for node in (1, 2, 3)) + "|"

    @property
    def live_edges(self) -> tuple[str, ...]:
        """The edges with every edge that carries nothing to the output set to ``none`` (:func:`live_ops`)."""
        ops = live_ops(np.array([[NB201_OPS.index(op) for op in self.edges]]))[0]
        return tuple(NB201_OPS[int(op)] for op in ops)

    def to_tokens(self) -> list[tuple[int, int, int, int]]:
        """The realised cell as blocks for the ``surrogate`` package: ``(input node, op, node, op)`` per edge."""
        return [
            (source, NB201_OPS.index(op), node, NB201_OPS.index(op))
            for (node, source), op in zip(NB201_EDGES, self.edges, strict=True)
        ]

    def to_json(self, indent: int | None = 2) -> str:
        """JSON text naming the format and the architecture string."""
        return json.dumps({"format": "pnas.nb201cell/v1", "arch": self.to_arch(), "level": self.level}, indent=indent)

    def __str__(self) -> str:
        return self.to_arch()


def nb201_level_cells(level: int, ops: Sequence[str] = NB201_OPS) -> list[NB201Cell]:
    """Every cell of ``level`` whose chosen edges take ``ops``: 5, 125 or 15,625 with all 5 ops."""
    cells = [NB201Cell.from_chosen((op,)) for op in ops]
    for _ in range(level - 1):
        cells = [child for cell in cells for child in cell.children(ops)]
    return cells


class NASBench201Space(SearchSpace):
    """The NAS-Bench-201 cell space, grown node by node (:class:`NB201Cell`).

    Cells are encoded as the 6 edges of the architecture they realise, so partial and full cells are encoded
    alike; the surrogate reads only their live edges (:meth:`for_surrogate`).

    Args:
        ops: The operations chosen edges may take (default all 5; a benchmark table may cover fewer). Partial cells
            pass through with ``none`` and ``skip_connect`` whatever the choice.

    Raises:
        ConfigError: An op is not an NB201 operation.
    """

    num_levels, num_inputs, num_ops = 3, 4, len(NB201_OPS)

    def __init__(self, ops: Sequence[str] = NB201_OPS) -> None:
        unknown = [op for op in ops if op not in NB201_OPS]
        if unknown or not ops:
            raise ConfigError(f"NB201 ops must be a non-empty subset of {', '.join(NB201_OPS)}; got {list(ops)}")
        self.ops = tuple(op for op in NB201_OPS if op in ops)

    def settings(self) -> dict[str, Any]:
        """The class and the ops edges may take."""
        return {"class": type(self).__qualname__, "ops": list(self.ops)}

    def initial_cells(self) -> list[NB201Cell]:
        """The level-1 cells (5 with all ops)."""
        return nb201_level_cells(1, self.ops)

    def encode_children(self, beam: Sequence[NB201Cell]) -> tuple[CellTokens, Callable[[int], NB201Cell]]:
        """Every child of every beam cell (25 or 125 each with all ops), encoded."""
        children = [child for cell in beam for child in cell.children(self.ops)]
        return encode_cells(
            [child.to_tokens() for child in children], self.num_inputs, self.num_ops
        ), children.__getitem__

    def tokens(self, cell: NB201Cell) -> list[tuple[int, int, int, int]]:
        """The realised cell's 6 edges as blocks."""
        return cell.to_tokens()

    def for_surrogate(self, tokens: CellTokens) -> CellTokens:
        """The cells with every edge that carries nothing to the output read as ``none`` (:func:`live_ops`).

        Cells that differ only in such edges compute the same network (e.g. the 125 cells whose output edges are
        all ``none``), and the surrogate reads them as one: Kendall tau on held-out cells rises by about 0.05
        (``docs/surrogate.md``).
        """
        blocks = tokens.blocks.copy()
        live = live_ops(blocks[:, : len(NB201_EDGES), 1])
        blocks[:, : len(NB201_EDGES), 1] = blocks[:, : len(NB201_EDGES), 3] = live
        return CellTokens(blocks, tokens.lengths)

    def random_cell(self, rng: np.random.Generator) -> NB201Cell:
        """6 ops drawn uniformly."""
        return NB201Cell(tuple(self.ops[int(i)] for i in rng.integers(len(self.ops), size=6)))

    def neighbours(self, cell: NB201Cell) -> list[NB201Cell]:
        """The cells with one edge's op changed (24 with all ops)."""
        return [
            NB201Cell(cell.edges[:edge] + (op,) + cell.edges[edge + 1 :])
            for edge in range(len(cell.edges))
            for op in self.ops
            if op != cell.edges[edge]
        ]
