"""What identifies a search: the fingerprint a resumed search must match, and the config record in config.yaml."""

from __future__ import annotations

from typing import Any

from pnas.search.constraints.settings import Constraints
from pnas.search.evaluation.lightning import LightningEvaluator
from pnas.search.strategies.base import SearchStrategy

__all__ = ["config_record", "search_fingerprint"]


def search_fingerprint(
    evaluator: LightningEvaluator, datamodule: Any, config: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The settings a resumed search must share with the stored one (the strategy's are added by ``run_search``).

    Args:
        evaluator: The search's evaluator: the template's class and hyperparameters, the monitored metric, the
            candidates' ``Trainer`` settings.
        datamodule: The search's data.
        config: The ``pnas search`` command's full config, whose model section (the optimizer included) joins
            the fingerprint; ``None`` from Python.
    """
    arguments = evaluator.factory.arguments
    model = {
        "class": f"{evaluator.factory.cls.__module__}.{evaluator.factory.cls.__qualname__}",
        **{k: v for k, v in arguments.items() if isinstance(v, (int, float, str, bool)) or v is None},
        **{k: _describe(v) for k, v in arguments.items() if callable(v)},
    }
    if config is not None and isinstance(config.get("model"), dict):
        init_args = config["model"].get("init_args", config["model"])
        model["config"] = {k: v for k, v in init_args.items() if k != "genotype"}
    return {
        "model": model,
        "evaluation": {"monitor": evaluator.monitor, "mode": evaluator.mode, **_pruner(evaluator)},
        "trainer": {
            k: v
            for k, v in evaluator.trainer_kwargs.items()
            if isinstance(v, (int, float, str, bool)) and k != "logger" and not k.startswith("enable_")
        },
        "data": {"class": type(datamodule).__qualname__, **_plain(getattr(datamodule, "hparams", {}))},
    }


def _pruner(evaluator: LightningEvaluator) -> dict[str, Any]:
    """The pruner's settings, when the search prunes (a search without one keeps the fingerprint it had)."""
    settings = evaluator.pruner.settings()
    return {} if settings["name"] == "none" else {"pruner": settings}


def config_record(
    fingerprint: dict[str, Any],
    strategy: SearchStrategy,
    constraints: Constraints,
    seed: int,
    config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What config.yaml holds: the ``pnas search`` command's full config as given, or the search's settings.

    From Python, the settings that define the search: the fingerprint, the strategy, the constraints and the seed.
    """
    if config is not None:
        return config
    strategy_class = f"{type(strategy).__module__}.{type(strategy).__qualname__}"
    search = {"strategy": {"class_path": strategy_class, "settings": strategy.settings()}, "seed": seed}
    search.update({"constraints": constraints.record()} if constraints else {})
    return {**fingerprint, "search": search}


def _describe(factory: Any) -> str | None:
    """A stable description of an optimizer or scheduler factory: its class or function and its arguments."""
    if factory is None:
        return None
    func = getattr(factory, "func", factory)
    name = f"{getattr(func, '__module__', '')}.{getattr(func, '__qualname__', type(func).__name__)}"
    arguments = {**getattr(factory, "keywords", {}), **getattr(factory, "kwargs", {})}
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in sorted(arguments.items()))})"


def _plain(values: Any) -> dict[str, Any]:
    """The JSON-ready scalar entries of a mapping (hyperparameters of a data module)."""
    return {k: v for k, v in dict(values).items() if isinstance(v, (int, float, str, bool)) or v is None}
