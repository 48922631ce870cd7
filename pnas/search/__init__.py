"""Searching a cell space: spaces, strategies (progressive and baselines), evaluators, the loop and its records.

One job per module:

- ``strategy``: the :class:`SearchStrategy` interface (propose cells, observe results) and :class:`Proposal`;
- ``progressive``: :class:`ProgressiveSearch`, the paper's algorithm; ``anytime``: its budgeted variant;
- ``baselines``: random search, regularized evolution, local search; ``nsga2``: multi-objective evolution;
- ``limits`` and ``pareto``: hard limits on costs known before training; Pareto fronts and hypervolumes;
- ``spaces``: the :class:`SearchSpace` interface and the PNAS :class:`CellSpace`; ``nasbench201``: NAS-Bench-201;
- ``evaluation``: the :class:`Evaluator` interface and :class:`Evaluation`; ``lightning_evaluator`` and ``table``:
  training with Lightning and looking up a benchmark table; ``candidates``: how a candidate module is built;
- ``steps``: the propose / evaluate / observe cycle; ``loop``: :func:`run_search`, which adds the store and the
  callbacks; ``store``: the SQLite results store; ``interrupts``: stopping cleanly on signals;
- ``callbacks``: the :class:`SearchCallback` hooks; ``run_files``, ``pictures`` and ``progress``: the callbacks
  every search runs; ``records``: what is recorded;
- ``trainer``: :class:`SearchTrainer`, a Lightning ``Trainer`` with a ``search`` method.

Names load on first use, so ``from pnas.search import TableEvaluator`` does not import Lightning or torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pnas._lazy import lazy_getattr

if TYPE_CHECKING:
    from pnas.search.anytime import AnytimeProgressiveSearch
    from pnas.search.baselines import LocalSearch, RandomSearch, RegularizedEvolution
    from pnas.search.callbacks import SearchCallback
    from pnas.search.evaluation import Evaluation, Evaluator
    from pnas.search.lightning_evaluator import LightningEvaluator
    from pnas.search.loop import run_search
    from pnas.search.nasbench201 import NASBench201Space
    from pnas.search.nsga2 import NSGA2
    from pnas.search.progressive import ProgressiveSearch
    from pnas.search.records import CandidateRecord, SearchResult, StepReport
    from pnas.search.spaces import CellSpace, SearchSpace
    from pnas.search.strategy import Proposal, SearchStrategy
    from pnas.search.table import BenchmarkTable, TableEvaluator
    from pnas.search.trainer import SearchTrainer

_LAZY = {
    "AnytimeProgressiveSearch": "pnas.search.anytime",
    "BenchmarkTable": "pnas.search.table",
    "CandidateRecord": "pnas.search.records",
    "CellSpace": "pnas.search.spaces",
    "Evaluation": "pnas.search.evaluation",
    "Evaluator": "pnas.search.evaluation",
    "LightningEvaluator": "pnas.search.lightning_evaluator",
    "LocalSearch": "pnas.search.baselines",
    "NASBench201Space": "pnas.search.nasbench201",
    "NSGA2": "pnas.search.nsga2",
    "ProgressiveSearch": "pnas.search.progressive",
    "Proposal": "pnas.search.strategy",
    "RandomSearch": "pnas.search.baselines",
    "RegularizedEvolution": "pnas.search.baselines",
    "SearchCallback": "pnas.search.callbacks",
    "SearchResult": "pnas.search.records",
    "SearchSpace": "pnas.search.spaces",
    "SearchStrategy": "pnas.search.strategy",
    "SearchTrainer": "pnas.search.trainer",
    "StepReport": "pnas.search.records",
    "TableEvaluator": "pnas.search.table",
    "run_search": "pnas.search.loop",
}

__all__ = [
    "AnytimeProgressiveSearch",
    "BenchmarkTable",
    "CandidateRecord",
    "CellSpace",
    "Evaluation",
    "Evaluator",
    "LightningEvaluator",
    "LocalSearch",
    "NASBench201Space",
    "NSGA2",
    "ProgressiveSearch",
    "Proposal",
    "RandomSearch",
    "RegularizedEvolution",
    "SearchCallback",
    "SearchResult",
    "SearchSpace",
    "SearchStrategy",
    "SearchTrainer",
    "StepReport",
    "TableEvaluator",
    "run_search",
]


__getattr__ = lazy_getattr(__name__, _LAZY)
