"""Searching a cell space: spaces, strategies (progressive and baselines), evaluators, the loop and its records."""

from __future__ import annotations

from pnas.search.baselines import LocalSearch, RandomSearch, RegularizedEvolution
from pnas.search.callbacks import SearchCallback
from pnas.search.evaluator import Evaluation, Evaluator, LightningEvaluator
from pnas.search.loop import SearchResult, run_search
from pnas.search.progressive import SURROGATES, ProgressiveSearch
from pnas.search.records import CandidateRecord, StepReport
from pnas.search.spaces import CellSpace, NASBench201Space, SearchSpace
from pnas.search.strategy import Proposal, SearchStrategy
from pnas.search.table import BenchmarkTable, TableEvaluator
from pnas.search.trainer import SearchTrainer

__all__ = [
    "SURROGATES",
    "BenchmarkTable",
    "CandidateRecord",
    "CellSpace",
    "Evaluation",
    "Evaluator",
    "LightningEvaluator",
    "LocalSearch",
    "NASBench201Space",
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
