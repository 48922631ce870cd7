"""Searching the PNAS space: strategies, evaluators, the loop and its records."""

from __future__ import annotations

from pnas.search.callbacks import SearchCallback
from pnas.search.evaluator import Evaluation, Evaluator, LightningEvaluator
from pnas.search.loop import SearchResult, run_search
from pnas.search.progressive import SURROGATES, ProgressiveSearch
from pnas.search.records import CandidateRecord, StepReport
from pnas.search.strategy import Proposal, SearchStrategy
from pnas.search.trainer import SearchTrainer

__all__ = [
    "SURROGATES",
    "CandidateRecord",
    "Evaluation",
    "Evaluator",
    "LightningEvaluator",
    "ProgressiveSearch",
    "Proposal",
    "SearchCallback",
    "SearchResult",
    "SearchStrategy",
    "SearchTrainer",
    "StepReport",
    "run_search",
]
