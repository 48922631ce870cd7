"""How :meth:`~pnas.search.SearchTrainer.search` turns its constraints into checks on cells.

Once the template's networks can be counted, the constraints become the strategy's checks, and the files that keep
their figures (latencies, the Pareto front) become callbacks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pnas.errors import ConfigError
from pnas.search.callbacks.base import SearchCallback
from pnas.search.callbacks.latency_file import LatencyFile
from pnas.search.callbacks.pareto_files import ParetoFiles
from pnas.search.constraints.limits import CellConstraints, CostLimits, LatencyLimit, network_costs
from pnas.search.constraints.settings import Constraints
from pnas.search.evaluation.lightning import LightningEvaluator
from pnas.search.strategies.base import SearchStrategy

__all__ = ["apply_constraints", "countable_costs"]


def apply_constraints(
    constraints: Constraints,
    strategy: SearchStrategy,
    template: Any,
    evaluator: LightningEvaluator,
    latency_path: Path,
) -> list[SearchCallback]:
    """Give ``strategy`` the checks ``constraints`` become on the template's networks; the callbacks for their files.

    Costs are counted on the network the template builds for a cell, before anything trains, as the template says
    (its ``cell_costs`` method).

    Raises:
        ConfigError: The strategy does not grow cells block by block, the template's networks cannot be counted, or
            the latency device is unavailable.
    """
    if not constraints:
        return []
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
    checks = CellConstraints(limits, latency_limit, pareto_cost)
    if checks:
        strategy.constrain(checks)
    return callbacks


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
