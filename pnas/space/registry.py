"""Named genotypes, and resolving a genotype given as a name, a JSON file, a cell string or a :class:`Cell`."""

from __future__ import annotations

from pathlib import Path

from pnas.errors import GenotypeError, brief
from pnas.files import read_user_text
from pnas.space.genotype import Cell

__all__ = ["GENOTYPES", "get_genotype", "load_genotype", "register_genotype", "resolve_genotype", "save_genotype"]

#: Published cells by name. PNASNet-5 is the cell found by PNAS on CIFAR-10 (Liu et al. 2018, figure 1).
GENOTYPES: dict[str, Cell] = {
    "pnasnet5": Cell(
        (
            (0, "sep_conv_5x5", 0, "max_pool_3x3"),
            (1, "sep_conv_7x7", 1, "max_pool_3x3"),
            (1, "sep_conv_5x5", 1, "sep_conv_3x3"),
            (4, "sep_conv_3x3", 1, "max_pool_3x3"),
            (0, "sep_conv_3x3", 1, "identity"),
        )
    ),
}


def register_genotype(name: str, cell: Cell) -> None:
    """Add ``cell`` to the registry under ``name``.

    Raises:
        GenotypeError: ``name`` is taken by a different cell.
    """
    if GENOTYPES.get(name, cell) != cell:
        raise GenotypeError(f"genotype name {name!r} is already registered for another cell")
    GENOTYPES[name] = cell


def get_genotype(name: str) -> Cell:
    """The registered cell called ``name``.

    Raises:
        GenotypeError: No genotype has that name.
    """
    try:
        return GENOTYPES[name]
    except KeyError:
        raise GenotypeError(f"unknown genotype name {name!r}; registered: {', '.join(sorted(GENOTYPES))}") from None


def save_genotype(cell: Cell, path: str | Path) -> Path:
    """Write ``cell`` as JSON to ``path`` and return the path."""
    path = Path(path)
    path.write_text(cell.to_json() + "\n")
    return path


def load_genotype(path: str | Path) -> Cell:
    """Read a cell from a JSON file.

    Raises:
        GenotypeError: The file is missing, a directory, unreadable, not UTF-8 text, or not a valid genotype.
    """
    hint = "pass a genotype .json file, e.g. a run's best_genotype.json"
    text = read_user_text(path, "genotype file", GenotypeError, hint=hint)
    try:
        return Cell.from_json(text)
    except GenotypeError as error:
        raise GenotypeError(f"{path}: {error}") from None


def resolve_genotype(spec: str | Path | Cell) -> Cell:
    """Turn a registry name, a path to a JSON file, a cell string or a :class:`Cell` into a :class:`Cell`.

    Raises:
        GenotypeError: ``spec`` is none of those, or what it names is invalid.
    """
    if isinstance(spec, Cell):
        return spec
    if isinstance(spec, Path) or (isinstance(spec, str) and spec.strip().endswith(".json")):
        return load_genotype(spec)
    if not isinstance(spec, str):
        raise GenotypeError(f"a genotype is a name, a JSON path, a cell string or a Cell, got {type(spec).__name__}")
    if spec in GENOTYPES:
        return GENOTYPES[spec]
    if "(" in spec:
        return Cell.from_string(spec)
    raise GenotypeError(
        f"unknown genotype {brief(spec)}: not a registered name ({', '.join(sorted(GENOTYPES))}), "
        "not a .json file, and not a cell string like 'sep_conv_3x3(c-1) + identity(c-2)'"
    )
