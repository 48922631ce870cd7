"""The strategies a benchmark compares: each one's factory, the settings it reads, and which fit which benchmark.

A single-objective benchmark measures each run's best cell by the signal; a multi-objective one (a cost column) the
front of the signal against the cost, with progressive search in Pareto mode and NSGA-II beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pnas.benchmark.nb201_table import NB201TableCost
from pnas.benchmark.proxies import ProxyTableFeatures
from pnas.errors import ConfigError
from pnas.search.constraints.limits import CellConstraints
from pnas.search.spaces.cell_space import SearchSpace
from pnas.search.strategies.anytime import AnytimeProgressiveSearch
from pnas.search.strategies.base import SearchStrategy
from pnas.search.strategies.baselines import LocalSearch, RandomSearch, RegularizedEvolution
from pnas.search.strategies.nsga2 import NSGA2

__all__ = [
    "MULTI_OBJECTIVE",
    "SINGLE_OBJECTIVE",
    "STRATEGIES",
    "STRATEGY_SETTINGS",
    "Cost",
    "check_strategy",
    "make_strategy",
    "strategy_settings",
]


#: Strategy name -> the settings its factory reads (a setting that is ``None`` keeps the strategy's default).
STRATEGY_SETTINGS: dict[str, tuple[str, ...]] = {
    "progressive": (
        "beam_size",
        "surrogate",
        "batch_size",
        "exploration",
        "final_beam_size",
        "mutation_parents",
        "climb_share",
        "restart_samples",
        "climb_round",
        "refit_growth",
        "proxies",
    ),
    "random": (),
    "rea": ("population_size", "sample_size"),
    "local": ("variant", "initial_samples"),
    "nsga2": ("population_size",),
}


def strategy_settings(name: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``settings`` that strategy ``name`` reads, without the ``None`` ones."""
    return {key: settings[key] for key in STRATEGY_SETTINGS.get(name, ()) if settings.get(key) is not None}


#: A multi-objective benchmark's cost column, or ``None`` for a single-objective one.
Cost = NB201TableCost | None


def _progressive(space: SearchSpace, budget: int, seed: int, cost: Cost, **settings: Any) -> SearchStrategy:
    settings = strategy_settings("progressive", settings)
    constraints = CellConstraints(pareto_cost=None if cost is None else (cost.name, cost))
    proxies = settings.pop("proxies", None)
    side_features = None if proxies is None else ProxyTableFeatures(proxies)
    return AnytimeProgressiveSearch(
        budget, space=space, seed=seed, constraints=constraints, side_features=side_features, **settings
    )


def _random(space: SearchSpace, budget: int, seed: int, cost: Cost, **_: Any) -> SearchStrategy:
    return RandomSearch(space, budget, seed)


def _evolution(space: SearchSpace, budget: int, seed: int, cost: Cost, **settings: Any) -> SearchStrategy:
    return RegularizedEvolution(space, budget, seed=seed, **strategy_settings("rea", settings))


def _local(space: SearchSpace, budget: int, seed: int, cost: Cost, **settings: Any) -> SearchStrategy:
    return LocalSearch(space, budget, seed, **strategy_settings("local", settings))


def _nsga2(space: SearchSpace, budget: int, seed: int, cost: Cost, **settings: Any) -> SearchStrategy:
    return NSGA2(space, budget, cost.of_cell, seed=seed, **strategy_settings("nsga2", settings))


#: Strategy name -> factory ``(space, budget, seed, cost, **settings)``; each takes the settings it knows, ignores
#: others. ``cost`` is the table's cost column, or ``None`` for a single-objective benchmark.
STRATEGIES: dict[str, Callable[..., SearchStrategy]] = {
    "progressive": _progressive,
    "random": _random,
    "rea": _evolution,
    "local": _local,
    "nsga2": _nsga2,
}

#: The strategies of a single-objective benchmark (the best cell by the signal), and their default.
SINGLE_OBJECTIVE = ("progressive", "random", "rea", "local")

#: The strategies of a multi-objective benchmark (the front of signal against a cost), and their default.
MULTI_OBJECTIVE = ("progressive", "random", "nsga2")


def make_strategy(
    name: str, space: SearchSpace, budget: int, seed: int, cost: Cost = None, **settings: Any
) -> SearchStrategy:
    """Build the strategy ``name`` (a key of :data:`STRATEGIES`) for one run; with a ``cost``, multi-objective.

    Raises:
        ConfigError: The name is unknown, or it does not fit the benchmark (single- or multi-objective).
    """
    check_strategy(name, multi_objective=cost is not None)
    return STRATEGIES[name](space, budget, seed, cost, **settings)


def check_strategy(name: str, multi_objective: bool) -> None:
    """Refuse a strategy that is unknown, or that does not fit a single- or a multi-objective benchmark.

    Raises:
        ConfigError: It is unknown or does not fit; the message says which strategies do.
    """
    if name not in STRATEGIES:
        allowed = MULTI_OBJECTIVE if multi_objective else SINGLE_OBJECTIVE
        raise ConfigError(f"unknown strategy {name}; choose from {', '.join(allowed)}")
    if not multi_objective and name not in SINGLE_OBJECTIVE:
        raise ConfigError(f"{name} is multi-objective: give it a cost column (pnas benchmark --cost params_m)")
    if multi_objective and name not in MULTI_OBJECTIVE:
        raise ConfigError(
            f"{name} optimises the signal alone; with a cost column choose from {', '.join(MULTI_OBJECTIVE)}"
        )
