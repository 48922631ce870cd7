"""Surrogate fits shared between tuning runs: a fit already made on the same cells is loaded, not made again.

Every configuration of a strategy's tuning grid runs on the same seeds, and configurations that differ only in how
they climb make the same proposals, and so the same fits, until their climbs part. A surrogate that refits from
scratch is a pure function of its settings, its seed and the cells and targets it is given, so such a fit is looked
up by a digest of all of them in a folder the tuning's worker processes share, and loaded bit for bit as it was
made. Surrogates that fine-tune from their previous fit (``warm_start``) are never looked up.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from surrogate import EnsembleSurrogate, encode_cells

__all__ = ["share_fits"]

#: The instance attribute that :func:`share_fits` sets, left out of what is stored and of the digest.
_FIT = "fit"
#: What a fit makes, as opposed to the settings it is made with.
_FITTED = {"network", "_feature_scale"}


def share_fits(surrogate: Any, folder: Path) -> None:
    """Make ``surrogate.fit`` load a fit made before on the same inputs from ``folder``, and store each new one there.

    Only for the ensembles (:class:`~surrogate.ensemble.EnsembleSurrogate`: the LSTM and the MLP), whose fit sets
    nothing but its network and feature scale and touches no global random state; nothing changes for another
    surrogate or one with ``warm_start`` set. The state after a fit is the surrogate's attributes (its network and
    its feature scale); a stored one replaces them whole, so predictions after a loaded fit equal those after a made
    one.
    """
    if not isinstance(surrogate, EnsembleSurrogate) or surrogate.warm_start:
        return
    make = surrogate.fit

    def fit(cells: Any, targets: Any, features: Any = None) -> Any:
        path = folder / f"{_digest(surrogate, cells, targets, features)}.pkl"
        if path.exists():
            vars(surrogate).update(_load(path))
            return surrogate
        make(cells, targets, features=features)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as handle:
            pickle.dump(_state(surrogate), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)  # whole or absent for a reader in another process
        return surrogate

    setattr(surrogate, _FIT, fit)


def _load(path: Path) -> dict[str, Any]:
    """A stored fit: the surrogate's attributes after it."""
    with path.open("rb") as handle:
        return pickle.load(handle)


def _state(surrogate: Any) -> dict[str, Any]:
    return {name: value for name, value in vars(surrogate).items() if name != _FIT}


def _digest(surrogate: Any, cells: Any, targets: Any, features: Any) -> str:
    """A digest of the surrogate's class and settings, and of the cells, targets and features it is fitted on.

    Every attribute but what a fit makes counts, by its ``repr``: one whose ``repr`` names an address only makes
    fits that are never found again, never a fit shared by mistake.
    """
    settings = sorted((name, repr(value)) for name, value in _state(surrogate).items() if name not in _FITTED)
    digest = hashlib.sha256(repr((type(surrogate).__qualname__, settings)).encode())
    tokens = encode_cells(cells, surrogate.num_inputs, surrogate.num_ops)
    for part in (tokens.blocks, tokens.lengths, targets, features):
        array = np.ascontiguousarray(np.empty(0) if part is None else part)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()
