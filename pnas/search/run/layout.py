"""The names of the files of a run directory, in one place: every module that reads or writes one uses these."""

from __future__ import annotations

__all__ = [
    "BEST_CELL_PICTURE",
    "BEST_CHECKPOINT",
    "BEST_GENOTYPE",
    "BEST_WEIGHTS",
    "CANDIDATES",
    "CONFIG",
    "LATENCIES",
    "LOCK",
    "PARETO_FOLDER",
    "PARETO_JSON",
    "PARETO_PICTURE",
    "PARETO_TABLE",
    "PREDICTED_VS_ACTUAL_PICTURE",
    "PROGRESS_PICTURE",
    "RESULT",
    "RUNGS",
    "STEPS",
    "STORE",
    "WANDB_RUN",
]

#: The SQLite store: every candidate and step, the source every other file is derived from.
STORE = "search.sqlite"
#: The lock one search holds on the directory.
LOCK = ".pnas.lock"
#: The settings of the search.
CONFIG = "config.yaml"
#: One row per evaluated candidate, and one per step.
CANDIDATES, STEPS = "candidates.csv", "steps.csv"
#: The answer and its figures, and the answer as a genotype.
RESULT, BEST_GENOTYPE = "result.json", "best_genotype.json"
#: The answer's trained model, and the best candidates' weights kept while the search runs.
BEST_CHECKPOINT, BEST_WEIGHTS = "best.ckpt", "best_candidate.pt"
#: Latencies measured under a latency limit.
LATENCIES = "latency.json"
#: Successive halving's training states of the step's candidates between rungs (empty between steps).
RUNGS = "rungs"
#: The search's W&B run: its id, so a resumed search continues it, and the steps it has logged.
WANDB_RUN = "wandb_run.json"
#: The pictures a search draws.
PROGRESS_PICTURE, PREDICTED_VS_ACTUAL_PICTURE, BEST_CELL_PICTURE = (
    "search_progress.png",
    "predicted_vs_actual.png",
    "best_cell.png",
)
#: Pareto mode's front: a table, a summary, a picture and a folder of genotypes.
PARETO_TABLE, PARETO_JSON, PARETO_PICTURE, PARETO_FOLDER = "pareto.csv", "pareto.json", "pareto.png", "pareto"
