"""The flat search settings of earlier releases (``max_blocks``, ``workers``, ...), folded into their groups.

Each still works, with a ``FutureWarning`` that names its new place, until the next release removes this module.
"""

from __future__ import annotations

import warnings
from dataclasses import fields, replace
from typing import Any, Literal

from pnas.errors import ConfigError
from pnas.search.callbacks.tracking_settings import Tracking
from pnas.search.constraints.settings import Constraints
from pnas.search.execution.settings import Execution
from pnas.search.strategies.base import SearchStrategy
from pnas.search.strategies.progressive import ProgressiveSearch

__all__ = ["FLAT_SETTINGS", "deprecated_flat_settings", "group_settings", "split_flat_settings"]

#: The flat settings of earlier releases, each with the group it now belongs to.
FLAT_SETTINGS: dict[str, str] = {
    **{name: "strategy" for name in ("max_blocks", "beam_size", "surrogate", "initial_cells")},
    **{field.name: "constraints" for field in fields(Constraints)},
    **{field.name: "execution" for field in fields(Execution)},
    "wandb": "tracking",
    "wandb_project": "tracking",
}

#: The flat settings whose name in their group is another one.
_RENAMED = {"wandb": "mode", "wandb_project": "project"}


def deprecated_flat_settings(
    *,
    max_blocks: int | None = None,
    beam_size: int | None = None,
    surrogate: Literal["lstm", "mlp", "forest", "blend"] | None = None,
    initial_cells: int | None = None,
    max_params: int | None = None,
    max_macs: int | None = None,
    max_latency_ms: float | None = None,
    latency_device: str | None = None,
    objectives: list[str] | None = None,
    workers: int | None = None,
    executor: Literal["local", "ray"] | None = None,
    ray_address: str | None = None,
    num_cpus: float | None = None,
    num_gpus: float | None = None,
    wandb: Literal["offline", "online", "disabled"] | None = None,
    wandb_project: str | None = None,
    **unknown: Any,
) -> dict[str, Any]:
    """The flat settings :meth:`~pnas.search.SearchTrainer.search` still takes, by name (``None``: not given).

    Args:
        max_blocks: Deprecated: ``strategy``'s. So are ``beam_size``, ``surrogate`` and ``initial_cells``;
            ``max_params``, ``max_macs``, ``max_latency_ms``, ``latency_device`` and ``objectives`` are
            ``constraints``'; ``workers``, ``executor``, ``ray_address``, ``num_cpus`` and ``num_gpus`` are
            ``execution``'s. Each still works, with a warning, until the next release.
        beam_size: Deprecated, see ``max_blocks``.
        surrogate: Deprecated, see ``max_blocks``.
        initial_cells: Deprecated, see ``max_blocks``.
        max_params: Deprecated, see ``max_blocks``.
        max_macs: Deprecated, see ``max_blocks``.
        max_latency_ms: Deprecated, see ``max_blocks``.
        latency_device: Deprecated, see ``max_blocks``.
        objectives: Deprecated, see ``max_blocks``.
        workers: Deprecated, see ``max_blocks``.
        executor: Deprecated, see ``max_blocks``.
        ray_address: Deprecated, see ``max_blocks``.
        num_cpus: Deprecated, see ``max_blocks``.
        num_gpus: Deprecated, see ``max_blocks``.
        wandb: Deprecated: ``tracking.mode``.
        wandb_project: Deprecated: ``tracking.project``.
        **unknown: Nothing else: any other name raises ``TypeError``, as an unknown argument of a method does.
    """
    if unknown:
        raise TypeError(f"SearchTrainer.search() got an unexpected keyword argument {next(iter(unknown))!r}")
    return {name: value for name, value in locals().items() if name in FLAT_SETTINGS}


def split_flat_settings(flat: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The flat settings given (``None``: not given) by their group, under their names there."""
    groups: dict[str, dict[str, Any]] = {group: {} for group in ("strategy", "constraints", "execution", "tracking")}
    for name, value in flat.items():
        if value is not None:
            groups[FLAT_SETTINGS[name]][_RENAMED.get(name, name)] = value
    return groups


def group_settings(
    strategy: SearchStrategy | None,
    constraints: Constraints | None,
    execution: Execution | None,
    tracking: Tracking | None,
    seed: int,
    flat: dict[str, Any],
) -> tuple[SearchStrategy, Constraints, Execution, Tracking]:
    """The search's strategy, constraints, execution and tracking, with the flat settings of earlier releases in them.

    Args:
        strategy: The strategy given, or ``None`` for :class:`ProgressiveSearch` with the paper's defaults (B=3,
            K=8, the LSTM ensemble) and the search's ``seed``.
        constraints: The constraints given, or ``None`` for none.
        execution: The execution settings given, or ``None`` for one candidate at a time in this process.
        tracking: The W&B settings given, or ``None`` for the defaults.
        seed: The search's seed, the default strategy's.
        flat: Settings by their flat names (``max_blocks``, ``workers``, ...; ``None``: not given). Deprecated: they
            warn once, naming their new place.

    Raises:
        ConfigError: A flat strategy setting beside a strategy given whole.
    """
    by_group = split_flat_settings(flat)
    given = [name for name, value in flat.items() if value is not None]
    moved = [f"{name} -> {FLAT_SETTINGS[name]}.{_inner(name)}{_RENAMED.get(name, name)}" for name in given]
    if moved:
        warnings.warn(
            f"flat search settings are deprecated and go in the next release: {', '.join(moved)}", FutureWarning, 3
        )
    if strategy is None:
        strategy = ProgressiveSearch(**by_group["strategy"], seed=seed)
    elif by_group["strategy"]:
        first = next(iter(by_group["strategy"]))
        names = ", ".join(by_group["strategy"])
        raise ConfigError(f"{names} set beside a strategy: set them in the strategy (strategy.init_args.{first})")
    constraints = replace(constraints or Constraints(), **by_group["constraints"])
    execution = replace(execution or Execution(), **by_group["execution"])
    tracking = replace(tracking or Tracking(), **by_group["tracking"])
    return strategy, constraints, execution, tracking


def _inner(name: str) -> str:
    """The key between a strategy's group and a flat strategy setting in a config (``init_args.``)."""
    return "init_args." if FLAT_SETTINGS[name] == "strategy" else ""
