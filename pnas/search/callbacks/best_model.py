"""The one owner of the search's best model: it keeps the best candidates' weights and exports ``best.ckpt``.

As Lightning's ``ModelCheckpoint`` owns the best checkpoint of a training run, :class:`BestModelExport` owns the
best candidate of a search; the evaluator only trains, and hands each candidate's weights over with its result.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import torch

from pnas.files import json_object, read_text_or_none, replace_atomically
from pnas.search.callbacks.base import SearchCallback
from pnas.search.evaluation.base import Evaluation, Evaluator, cell_level
from pnas.search.run.best import BestSoFar
from pnas.search.run.records import SearchResult
from pnas.search.run.run_dir import RunDir

__all__ = ["BestModelExport"]


class BestModelExport(SearchCallback):
    """Keep the weights of the best candidates as they train; when the search ends, test the answer and export it.

    The best are the candidates that can be the search's answer: of the highest level (most blocks) seen, those
    with the best monitored value (every tied one: the search decides ties by the order it proposed them). Their
    weights are written to ``best_candidate.pt`` before each result is stored, so a search killed at any moment
    resumes with them. When the search ends the answer is tested on the test split (``search.test_value``) and
    saved as ``best.ckpt`` (``search.checkpoint``); place this callback before those that report them.
    ``best.ckpt`` is only replaced by a complete checkpoint of the answer. A finished search run again is not
    tested again: its ``best.ckpt`` and the test figure in ``result.json`` stand. When the answer's weights were
    lost (a missing or damaged ``best_candidate.pt``), a ``best.ckpt`` of that cell is kept, with its test figure.

    Args:
        evaluator: The search's evaluator: its ``mode`` (what "best" means is :class:`BestSoFar`'s), and how to
            test a cell.
        path: Where the best candidates' weights are kept; ``None``: in memory only.
    """

    def __init__(self, evaluator: Evaluator, path: Path | None = None) -> None:
        self.evaluator, self.path = evaluator, path
        self.best = BestSoFar(evaluator.mode)  # ranks play no part: every candidate tied at the best is kept
        self.weights: dict[str, dict[str, Any]] = {}  # cell -> CPU weights, for every candidate at the best
        if path is not None and Path(path).is_file():
            try:
                saved = torch.load(path, map_location="cpu", weights_only=True)
                self.weights = dict(saved["cells"])
                self.best.offer(saved["accuracy"], level=int(saved.get("level", 0)))
            except Exception:  # unreadable (cut short, an older format): the weights are lost, the results not
                self.best, self.weights = BestSoFar(evaluator.mode), {}

    def on_candidate_trained(self, search: SearchResult, cell: Any, evaluation: Evaluation) -> None:
        """Keep the candidate's weights when it is (one of) the best so far, on disk too."""
        if evaluation.accuracy is None or evaluation.weights is None:
            return
        level, value = cell_level(cell), evaluation.accuracy
        order = self.best.order(value, level)
        if order < 0:
            return
        if order > 0:
            self.best.offer(value, level=level)
            self.weights = {}
        self.weights[str(cell)] = {name: tensor.cpu() for name, tensor in evaluation.weights.items()}
        if self.path is not None:
            saved = {"accuracy": value, "level": level, "cells": self.weights}
            _save_atomically(saved, Path(self.path))

    def on_search_end(self, search: SearchResult) -> None:
        """Test the answer and export its model; a checkpoint of another cell is never reported."""
        if search.best_cell is None:
            return
        start = time.perf_counter()
        files = RunDir(search.run_dir)
        answer, checkpoint = str(search.best_cell), files.best_checkpoint
        previous = json_object(read_text_or_none(files.result))
        exported = checkpoint.is_file() and _checkpoint_genotype(checkpoint) == answer
        if not search.added and exported and previous.get("best_cell") == answer:
            search.test_value, search.checkpoint = _test_value(previous), checkpoint
            return
        partial = checkpoint.with_name(checkpoint.name + ".partial")
        try:
            partial.unlink(missing_ok=True)
            weights = self.weights.get(answer)
            search.test_value = self.evaluator.test(search.best_cell, weights=weights, checkpoint=partial)
            if partial.is_file():
                os.replace(partial, checkpoint)
                exported = True
        except (OSError, RuntimeError) as error:  # a full or read-only disk (torch says RuntimeError)
            reason = getattr(error, "strerror", None) or str(error).splitlines()[0]
            print(f"pnas: could not write {checkpoint} ({reason}); it was left as it was", file=sys.stderr)
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
        if exported:
            search.checkpoint = checkpoint
            if search.test_value is None and previous.get("best_cell") == answer:
                search.test_value = _test_value(previous)  # the weights were lost, not the model and its figure
        elif checkpoint.is_file():
            print(
                f"pnas: {checkpoint} holds another cell than the answer, {answer}; it was left as it is",
                file=sys.stderr,
            )
        search.seconds += time.perf_counter() - start


def _save_atomically(payload: Any, path: Path) -> None:
    """``torch.save`` ``payload`` to ``path`` atomically: a crash leaves the old file or the new one.

    A write that fails (a full disk: ``OSError``, or torch's ``RuntimeError``) is reported on stderr; the weights
    stay in memory and the search goes on.
    """
    try:
        replace_atomically(path, lambda partial: torch.save(payload, partial))
    except (OSError, RuntimeError) as error:
        reason = getattr(error, "strerror", None) or str(error).splitlines()[0]
        print(f"pnas: could not write {path} ({reason}); the search goes on", file=sys.stderr)


def _checkpoint_genotype(path: Path) -> str | None:
    """The ``genotype`` hyperparameter of a Lightning checkpoint; ``None`` if it has none or cannot be read.

    Loaded with ``weights_only`` (nothing in the file runs) and memory-mapped (the weights are not read).
    """
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        return str(saved["hyper_parameters"]["genotype"])
    except Exception:  # damaged, cut short, not a checkpoint of a cell module, or holding more than plain data
        return None


def _test_value(result: dict[str, Any]) -> float | None:
    """The test figure of a ``result.json``, under its name now or the one earlier releases gave it."""
    return result.get("test_value", result.get("test_acc"))
