"""Searching a cell space: spaces, strategies (progressive and baselines), evaluators, the loop and its records.

One sub-package per job:

- ``strategies``: the :class:`SearchStrategy` interface and :class:`Proposal`, :class:`ProgressiveSearch` (the
  paper's algorithm) and its budgeted variant, the baselines and NSGA-II, and ``steps``, the cycle they all run;
- ``spaces``: the :class:`SearchSpace` interface, the PNAS :class:`CellSpace` and NAS-Bench-201;
- ``constraints``: :class:`Constraints` as the user states them, hard limits on costs known before training;
  Pareto fronts and hypervolumes;
- ``evaluation``: the :class:`Evaluator` interface and :class:`Evaluation`, training with Lightning, the candidate;
- ``execution``: where candidates train (this process, worker processes, Ray actors), set by :class:`Execution`;
- ``run``: :func:`run_search` and the SQLite store, the run directory (:class:`RunDir`), interrupts and records;
- ``callbacks``: the :class:`SearchCallback` hooks and the callbacks every search runs;
- ``trainer``: :class:`SearchTrainer`, a Lightning ``Trainer`` with a ``search`` method, which only wires the parts;
  ``assembly`` turns its constraints into checks, ``flat_settings`` maps the deprecated flat settings onto groups.

Tabular benchmarks (:class:`BenchmarkTable`, :class:`TableEvaluator`) live in :mod:`pnas.benchmark.table`.

Names load on first use, so ``from pnas.search import ProgressiveSearch`` does not import Lightning or torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pnas._lazy import lazy_getattr

if TYPE_CHECKING:
    from pnas.search.callbacks.base import SearchCallback
    from pnas.search.callbacks.best_model import BestModelExport
    from pnas.search.callbacks.pareto_files import ParetoFiles
    from pnas.search.callbacks.pictures import SearchPictures
    from pnas.search.callbacks.progress import SearchProgressBar
    from pnas.search.callbacks.run_files import RunFiles
    from pnas.search.callbacks.tracking_settings import Tracking
    from pnas.search.constraints.settings import Constraints
    from pnas.search.evaluation.base import Evaluation, Evaluator
    from pnas.search.evaluation.lightning import LightningEvaluator
    from pnas.search.evaluation.pruning import MedianPruning, NoPruning, Pruner, SuccessiveHalving
    from pnas.search.execution.settings import Execution
    from pnas.search.run.loop import run_search
    from pnas.search.run.records import CandidateRecord, SearchResult, StepReport
    from pnas.search.run.run_dir import RunDir
    from pnas.search.spaces.cell_space import CellSpace, SearchSpace
    from pnas.search.spaces.nasbench201 import NASBench201Space
    from pnas.search.strategies.anytime import AnytimeProgressiveSearch
    from pnas.search.strategies.base import Proposal, SearchStrategy
    from pnas.search.strategies.baselines import LocalSearch, RandomSearch, RegularizedEvolution
    from pnas.search.strategies.nsga2 import NSGA2
    from pnas.search.strategies.progressive import ProgressiveSearch
    from pnas.search.trainer import SearchTrainer

_LAZY = {
    "AnytimeProgressiveSearch": "pnas.search.strategies.anytime",
    "BestModelExport": "pnas.search.callbacks.best_model",
    "CandidateRecord": "pnas.search.run.records",
    "CellSpace": "pnas.search.spaces.cell_space",
    "Constraints": "pnas.search.constraints.settings",
    "Evaluation": "pnas.search.evaluation.base",
    "Evaluator": "pnas.search.evaluation.base",
    "Execution": "pnas.search.execution.settings",
    "LightningEvaluator": "pnas.search.evaluation.lightning",
    "LocalSearch": "pnas.search.strategies.baselines",
    "MedianPruning": "pnas.search.evaluation.pruning",
    "NoPruning": "pnas.search.evaluation.pruning",
    "Pruner": "pnas.search.evaluation.pruning",
    "SuccessiveHalving": "pnas.search.evaluation.pruning",
    "NASBench201Space": "pnas.search.spaces.nasbench201",
    "NSGA2": "pnas.search.strategies.nsga2",
    "ParetoFiles": "pnas.search.callbacks.pareto_files",
    "ProgressiveSearch": "pnas.search.strategies.progressive",
    "Proposal": "pnas.search.strategies.base",
    "RandomSearch": "pnas.search.strategies.baselines",
    "RegularizedEvolution": "pnas.search.strategies.baselines",
    "RunDir": "pnas.search.run.run_dir",
    "RunFiles": "pnas.search.callbacks.run_files",
    "SearchCallback": "pnas.search.callbacks.base",
    "SearchPictures": "pnas.search.callbacks.pictures",
    "SearchProgressBar": "pnas.search.callbacks.progress",
    "SearchResult": "pnas.search.run.records",
    "SearchSpace": "pnas.search.spaces.cell_space",
    "SearchStrategy": "pnas.search.strategies.base",
    "SearchTrainer": "pnas.search.trainer",
    "StepReport": "pnas.search.run.records",
    "Tracking": "pnas.search.callbacks.tracking_settings",
    "run_search": "pnas.search.run.loop",
}

__all__ = [
    "NSGA2",
    "AnytimeProgressiveSearch",
    "BestModelExport",
    "CandidateRecord",
    "CellSpace",
    "Constraints",
    "Evaluation",
    "Evaluator",
    "Execution",
    "LightningEvaluator",
    "LocalSearch",
    "MedianPruning",
    "NASBench201Space",
    "NoPruning",
    "ParetoFiles",
    "ProgressiveSearch",
    "Proposal",
    "Pruner",
    "RandomSearch",
    "RegularizedEvolution",
    "RunDir",
    "RunFiles",
    "SearchCallback",
    "SearchPictures",
    "SearchProgressBar",
    "SearchResult",
    "SearchSpace",
    "SearchStrategy",
    "SearchTrainer",
    "StepReport",
    "SuccessiveHalving",
    "Tracking",
    "run_search",
]


__getattr__ = lazy_getattr(__name__, _LAZY)
