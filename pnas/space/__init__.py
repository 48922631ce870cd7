"""The PNAS cell search space, free of torch: operations, blocks, cells, expansion, text/JSON forms, registry."""

from __future__ import annotations

from pnas.errors import GenotypeError
from pnas.space.expansion import distinct_blocks, expand, expand_beam, num_distinct_blocks, one_block_cells
from pnas.space.genotype import Block, Cell
from pnas.space.ops import NUM_OPS, OP_INDEX, OPS, input_name, parse_input_name
from pnas.space.registry import (
    GENOTYPES,
    get_genotype,
    load_genotype,
    register_genotype,
    resolve_genotype,
    save_genotype,
)

__all__ = [
    "GENOTYPES",
    "NUM_OPS",
    "OPS",
    "OP_INDEX",
    "Block",
    "Cell",
    "GenotypeError",
    "distinct_blocks",
    "expand",
    "expand_beam",
    "get_genotype",
    "input_name",
    "load_genotype",
    "num_distinct_blocks",
    "one_block_cells",
    "parse_input_name",
    "register_genotype",
    "resolve_genotype",
    "save_genotype",
]
