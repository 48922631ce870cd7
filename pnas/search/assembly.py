"""How :meth:`~pnas.search.SearchTrainer.search` makes a search's parts from its settings.

The strategy (the default one, or the one given), the checks its constraints become once the template's networks
can be counted, and the deprecated flat settings mapped onto their groups.
"""

from __future__ import annotations

import warnings
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from pnas.errors import ConfigError
from pnas.search.callbacks.base import SearchCallback
from pnas.search.callbacks.latency_file import LatencyFile
from pnas.search.callbacks.pareto_files import ParetoFiles
from pnas.search.callbacks.tracking_settings import Tracking
from pnas.search.constraints.limits import CellConstraints, CostLimits, LatencyLimit, network_costs
from pnas.search.constraints.settings import Constraints
from pnas.search.evaluation.lightning import LightningEvaluator
from pnas.search.execution.settings import Execution
from pnas.search.strategies.base import SearchStrategy
from pnas.search.strategies.progressive import ProgressiveSearch

__all__ = ["FLAT_SETTINGS", "build_constraints", "countable_costs", "group_settings", "split_flat_settings"]

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


def build_constraints(
    constraints: Constraints,
    strategy: SearchStrategy,
    template: Any,
    evaluator: LightningEvaluator,
    latency_path: Path,
) -> tuple[CellConstraints, list[SearchCallback]]:
    """The checks ``constraints`` become on the template's networks, and the callbacks that keep their files.

    Costs are counted on the network the template builds for a cell, before anything trains, as the template says
    (its ``cell_costs`` method).

    Raises:
        ConfigError: The strategy does not grow cells block by block, the template's networks cannot be counted, or
            the latency device is unavailable.
    """
    if not constraints:
        return CellConstraints(), []
    needed_by = constraints.needed_by()
    max_blocks = getattr(strategy, "max_blocks", None)
    if max_blocks is None:
        raise ConfigError(f"{needed_by} need a strategy that grows cells block by block, such as ProgressiveSearch")
    costs = network_costs(template, evaluator.input_size, max_blocks, needed_by)
    cost_limits = constraints.cost_limits()
    limits = CostLimits(costs.of_tokens, **cost_limits) if cost_limits else None
    latency_limit, callbacks = None, []
    if constraints.max_latency_ms is not None:
        from pnas.nn.latency import CellLatency, check_latency_device

        device = constraints.latency_device
        check_latency_device(device)
        latency = CellLatency(costs.network_of, evaluator.input_size, device, path=latency_path)
        latency_limit = LatencyLimit(latency.of_cell, constraints.max_latency_ms, device)
        callbacks.append(LatencyFile(latency))
    pareto_cost = None
    if constraints.objectives is not None:
        cost = constraints.objectives[1]
        pareto_cost = (cost, costs.of_tokens)
        callbacks.append(ParetoFiles(evaluator.monitor, cost, costs.of_cells, costs.upper_bound(max_blocks)[cost]))
    return CellConstraints(limits, latency_limit, pareto_cost), callbacks


def countable_costs(template: Any, strategy: SearchStrategy, evaluator: LightningEvaluator) -> Any:
    """The :class:`~pnas.nn.costs.CellCosts` of the template's networks, or ``None`` where they cannot be counted.

    For figures that are shown when known (the multiply-adds in W&B's candidates table), unlike limits, which need
    them.
    """
    max_blocks = getattr(strategy, "max_blocks", None)
    if max_blocks is None:
        return None
    try:
        return network_costs(template, evaluator.input_size, max_blocks, "costs")
    except ConfigError:
        return None


def _inner(name: str) -> str:
    """The key between a strategy's group and a flat strategy setting in a config (``init_args.``)."""
    return "init_args." if FLAT_SETTINGS[name] == "strategy" else ""
