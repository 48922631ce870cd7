"""Blocks and cells: the genotype of a PNAS cell as plain, hashable, JSON-serialisable data.

A block is ``(input_1, op_1, input_2, op_2)``: two inputs, each transformed by one operation, summed. Inputs are
integers: 0 is the previous-but-one cell's output H[c-2], 1 is the previous cell's output H[c-1], and ``k >= 2``
is the output of block ``k - 1`` of the same cell. The b-th block (1-based) may use inputs ``0 .. b``.

Both classes are canonical on construction: the two halves of a block are put in a fixed order, so blocks (and
cells) that differ only by swapping a block's halves compare and hash equal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pnas.errors import GenotypeError, brief
from pnas.files import parse_user_json
from pnas.space.ops import OP_INDEX, OPS, input_name, parse_input_name

__all__ = ["Block", "Cell"]

_OP_NAME = re.compile(r"[A-Za-z0-9_]+")
JSON_FORMAT = "pnas.cell/v1"


def _check_input(value: Any, which: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise GenotypeError(f"{which} must be an integer input index, got {brief(value)}")
    if value < 0:
        raise GenotypeError(f"{which} must be >= 0 (0 = H[c-2], 1 = H[c-1], k = block k-1), got {brief(value)}")
    return value


def _check_op(value: Any, which: str) -> str:
    if not isinstance(value, str) or value not in OP_INDEX:
        raise GenotypeError(f"unknown operation {brief(value)} in {which}; known operations: {', '.join(OPS)}")
    return value


def _parse_half(half: str, block: str) -> tuple[int, str]:
    """``(input, op)`` of one half ``"op(input)"`` of the block text ``block`` (split by hand: no backtracking)."""
    op, paren, rest = half.strip().partition("(")
    op, name = op.strip(), rest[:-1]
    if not paren or not rest.endswith(")") or _OP_NAME.fullmatch(op) is None or "(" in name or ")" in name:
        raise GenotypeError(f"cannot parse {brief(half.strip())} in block {brief(block)}: expected 'op(input)'")
    index = parse_input_name(name)
    if index is None:
        raise GenotypeError(f"unknown input {brief(name.strip())} in block {brief(block)}: use c-2, c-1, b1, b2, ...")
    return index, op


@dataclass(frozen=True, slots=True)
class Block:
    """One block: ``op_1(input_1) + op_2(input_2)``, stored with its halves in canonical order.

    Args:
        input_1: Input of the first half (0 = H[c-2], 1 = H[c-1], k >= 2 = block k-1).
        op_1: Operation applied to ``input_1``; one of :data:`pnas.space.OPS`.
        input_2: Input of the second half.
        op_2: Operation applied to ``input_2``.

    Raises:
        GenotypeError: An input is not a non-negative integer or an op is unknown.
    """

    input_1: int
    op_1: str
    input_2: int
    op_2: str

    def __post_init__(self) -> None:
        _check_input(self.input_1, "input_1")
        _check_op(self.op_1, "op_1")
        _check_input(self.input_2, "input_2")
        _check_op(self.op_2, "op_2")
        if (self.input_2, OP_INDEX[self.op_2]) < (self.input_1, OP_INDEX[self.op_1]):
            first, second = (self.input_2, self.op_2), (self.input_1, self.op_1)
            object.__setattr__(self, "input_1", first[0])
            object.__setattr__(self, "op_1", first[1])
            object.__setattr__(self, "input_2", second[0])
            object.__setattr__(self, "op_2", second[1])

    def as_tuple(self) -> tuple[int, str, int, str]:
        """The block as ``(input_1, op_1, input_2, op_2)``."""
        return (self.input_1, self.op_1, self.input_2, self.op_2)

    def as_tokens(self) -> tuple[int, int, int, int]:
        """The block as integers ``(input_1, op_1, input_2, op_2)``, ops given by their index in ``OPS``."""
        return (self.input_1, OP_INDEX[self.op_1], self.input_2, OP_INDEX[self.op_2])

    def __str__(self) -> str:
        return f"{self.op_1}({input_name(self.input_1)}) + {self.op_2}({input_name(self.input_2)})"

    @classmethod
    def from_string(cls, text: str) -> Block:
        """Parse ``"op(input) + op(input)"``, e.g. ``"sep_conv_5x5(c-2) + max_pool_3x3(b1)"``.

        Raises:
            GenotypeError: ``text`` is not a string of that form, or names an unknown op or input.
        """
        if not isinstance(text, str):
            raise GenotypeError(f"a block string must be str, got {type(text).__name__}")
        halves = text.split("+")
        if len(halves) != 2:
            raise GenotypeError(f"cannot parse block {brief(text.strip())}: expected 'op(input) + op(input)'")
        (input_1, op_1), (input_2, op_2) = (_parse_half(half, text.strip()) for half in halves)
        return cls(input_1, op_1, input_2, op_2)


@dataclass(frozen=True, slots=True)
class Cell:
    """A cell: a non-empty tuple of blocks, each reading only H[c-2], H[c-1] and earlier blocks.

    Args:
        blocks: The blocks in order; lists, tuples and ``(input_1, op_1, input_2, op_2)`` tuples are accepted.

    Raises:
        GenotypeError: The cell is empty, an item is not a block, or a block reads an input that does not exist
            at its position (itself or a later block).
    """

    blocks: tuple[Block, ...]

    def __post_init__(self) -> None:
        if isinstance(self.blocks, (str, bytes)) or not hasattr(self.blocks, "__iter__"):
            raise GenotypeError(f"a cell is a sequence of blocks, got {brief(self.blocks)}")
        blocks = tuple(_to_block(item, position) for position, item in enumerate(self.blocks, start=1))
        if not blocks:
            raise GenotypeError("a cell needs at least one block, got an empty cell")
        for position, block in enumerate(blocks, start=1):
            for which, value in (("input_1", block.input_1), ("input_2", block.input_2)):
                if value > position:
                    raise GenotypeError(
                        f"block {position} {which}={_input_label(value)} is out of range: block {position} "
                        f"may read 0..{position} (c-2, c-1 and blocks before it)"
                    )
        object.__setattr__(self, "blocks", blocks)

    @classmethod
    def _unchecked(cls, blocks: tuple[Block, ...]) -> Cell:
        """Build a cell from blocks already known to be valid and canonical (hot path of expansion)."""
        cell = object.__new__(cls)
        object.__setattr__(cell, "blocks", blocks)
        return cell

    @property
    def num_blocks(self) -> int:
        """How many blocks the cell has."""
        return len(self.blocks)

    def __str__(self) -> str:
        return self.to_string()

    def to_string(self) -> str:
        """Readable, parseable text: blocks ``"op(input) + op(input)"`` joined by ``"; "``."""
        return "; ".join(str(block) for block in self.blocks)

    @classmethod
    def from_string(cls, text: str) -> Cell:
        """Parse the text written by :meth:`to_string`.

        Raises:
            GenotypeError: The text is empty or any block does not parse or validate.
        """
        if not isinstance(text, str):
            raise GenotypeError(f"a cell string must be str, got {type(text).__name__}")
        if not text.strip():
            raise GenotypeError("a cell needs at least one block, got an empty string")
        return cls(tuple(Block.from_string(part) for part in text.split(";")))

    def to_tokens(self) -> list[tuple[int, int, int, int]]:
        """The blocks as integer tuples ``(input_1, op_1, input_2, op_2)``, the form the surrogates take."""
        return [block.as_tokens() for block in self.blocks]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{"format": ..., "cell": text, "blocks": [[input_1, op_1, input_2, op_2], ...]}``."""
        return {"format": JSON_FORMAT, "cell": self.to_string(), "blocks": [list(b.as_tuple()) for b in self.blocks]}

    @classmethod
    def from_dict(cls, data: Any) -> Cell:
        """Inverse of :meth:`to_dict`; a bare list of blocks is accepted too.

        Raises:
            GenotypeError: The data is not of that form or does not validate.
        """
        if isinstance(data, dict) and data.get("format", JSON_FORMAT) != JSON_FORMAT:
            raise GenotypeError(f"unsupported genotype format {brief(data['format'])}; expected {JSON_FORMAT!r}")
        blocks = data.get("blocks") if isinstance(data, dict) else data
        if not isinstance(blocks, list):
            raise GenotypeError("genotype JSON must be an object with a 'blocks' list, or a list of blocks")
        return cls(tuple(blocks))

    def to_json(self, indent: int | None = 2) -> str:
        """Serialise to JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> Cell:
        """Parse JSON text written by :meth:`to_json`.

        Raises:
            GenotypeError: The text is not valid JSON (or nests too deeply to parse) or not a valid genotype.
        """
        return cls.from_dict(parse_user_json(text, "genotype", GenotypeError))


def _to_block(item: Any, position: int) -> Block:
    if isinstance(item, Block):
        return item
    if isinstance(item, (list, tuple)) and len(item) == 4:
        try:
            return Block(*item)
        except GenotypeError as error:
            raise GenotypeError(f"block {position}: {error}") from None
    raise GenotypeError(f"block {position} must be (input_1, op_1, input_2, op_2), got {brief(item)}")


def _input_label(value: int) -> str:
    """``"3 (b2)"``: an input index and its name; a huge index only briefly (it cannot be in range anyway)."""
    return f"{value} ({input_name(value)})" if value < 1_000_000 else brief(value)
