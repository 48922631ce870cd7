"""The vocabulary of the PNAS search space: the 8 operations and the names of a cell's inputs."""

from __future__ import annotations

import re

__all__ = ["NUM_OPS", "OPS", "OP_INDEX", "input_name", "parse_input_name"]

#: The 8 PNAS operations, in a fixed order: an op's position is its integer token.
OPS: tuple[str, ...] = (
    "sep_conv_3x3",
    "sep_conv_5x5",
    "sep_conv_7x7",
    "conv_1x7_7x1",
    "identity",
    "avg_pool_3x3",
    "max_pool_3x3",
    "dil_conv_3x3",
)
NUM_OPS: int = len(OPS)
OP_INDEX: dict[str, int] = {name: index for index, name in enumerate(OPS)}

_CELL_INPUT_NAMES = ("c-2", "c-1")
#: ``b1``, ``b2``, ...: a block's output, numbered from 1 (6 digits at most: no cell has a million blocks).
_BLOCK_INPUT = re.compile(r"b0*([1-9][0-9]{0,5})")


def input_name(index: int) -> str:
    """Name of a block input: 0 is ``c-2`` (H[c-2]), 1 is ``c-1`` (H[c-1]), ``k >= 2`` is block ``b{k-1}``."""
    return _CELL_INPUT_NAMES[index] if index < 2 else f"b{index - 1}"


def parse_input_name(name: str) -> int | None:
    """Inverse of :func:`input_name`; ``None`` when ``name`` is not an input name (``b`` takes ASCII digits only)."""
    name = name.strip()
    if name in _CELL_INPUT_NAMES:
        return _CELL_INPUT_NAMES.index(name)
    match = _BLOCK_INPUT.fullmatch(name)
    return int(match.group(1)) + 1 if match is not None else None
