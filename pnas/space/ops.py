"""The vocabulary of the PNAS search space: the 8 operations and the names of a cell's inputs."""

from __future__ import annotations

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


def input_name(index: int) -> str:
    """Name of a block input: 0 is ``c-2`` (H[c-2]), 1 is ``c-1`` (H[c-1]), ``k >= 2`` is block ``b{k-1}``."""
    return _CELL_INPUT_NAMES[index] if index < 2 else f"b{index - 1}"


def parse_input_name(name: str) -> int | None:
    """Inverse of :func:`input_name`; ``None`` when ``name`` is not an input name."""
    name = name.strip()
    if name in _CELL_INPUT_NAMES:
        return _CELL_INPUT_NAMES.index(name)
    if name.startswith("b") and name[1:].isdigit() and int(name[1:]) >= 1:
        return int(name[1:]) + 1
    return None
