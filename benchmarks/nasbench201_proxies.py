"""Zero-cost proxies of every NAS-Bench-201 cell: the table ``benchmarks/data/nasbench201_proxies.csv``.

Each cell's network (:class:`pnas.nn.nasbench201.NB201Network`, the benchmark's stem, 3 stages of 5 cells and
residual reductions, 16 channels) is initialised under seed 0 and scored on one offline probe batch (16 digits at
16x16 pixels) by :func:`pnas.nn.zero_cost.zero_cost_proxies`. ``seconds`` is each cell's compute time on one thread;
a search that uses the proxies counts it in its wall clock.

    python benchmarks/nasbench201_proxies.py [--table CIFAR10.csv] [--out OUT.csv] [--workers 2] [--limit N]
        [--no-progress]

Resumable: rows already in ``--out`` are kept and their cells skipped, so an interrupted run continues where it
stopped. Afterwards it prints each proxy's Kendall tau against the table's ``val_acc_12`` and the time per cell.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, median, run_script  # noqa: E402

from pnas.benchmark.proxies import ProbeSettings, nasbench201_cell_proxies, probe_batch  # noqa: E402
from pnas.benchmark.table import BenchmarkTable  # noqa: E402
from pnas.nn.zero_cost import PROXIES  # noqa: E402
from pnas.search.spaces.nasbench201 import NB201Cell  # noqa: E402
from surrogate import rank_correlations  # noqa: E402

ROOT = Path(__file__).resolve().parent
TABLE = ROOT.parents[1] / "shared" / "data" / "nasbench201" / "cifar10.csv"
COLUMNS = ("index", "arch", *PROXIES, "seconds")

_batch: tuple[torch.Tensor, torch.Tensor] | None = None


def _start_worker() -> None:
    global _batch
    torch.set_num_threads(1)
    settings = ProbeSettings()
    _batch = probe_batch(settings.size, settings.count)


def _score(job: tuple[int, str]) -> list[str]:
    index, arch = job
    assert _batch is not None
    scores = nasbench201_cell_proxies(NB201Cell.from_arch(arch).edges, _batch)
    return [str(index), arch, *(f"{scores[name]:.6g}" for name in (*PROXIES, "seconds"))]


def _done(out: Path) -> set[int]:
    if not out.is_file():
        return set()
    with out.open(newline="") as file:
        return {int(row["index"]) for row in csv.DictReader(file)}


def compute(table: BenchmarkTable, out: Path, workers: int, limit: int | None, progress: bool = True) -> None:
    """Score every cell of ``table`` not yet in ``out``, appending one flushed row per cell.

    With one worker the cells are scored in this process, on one thread.
    """
    done = _done(out)
    jobs = [(i, arch) for i, arch in enumerate(table.architectures[:limit]) if i not in done]
    out.parent.mkdir(parents=True, exist_ok=True)
    fresh = not out.is_file()
    with out.open("a", newline="") as file, contextlib.ExitStack() as stack:
        writer = csv.writer(file)
        if fresh:
            writer.writerow(COLUMNS)
        if workers > 1:
            pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(workers, _start_worker))
            rows = pool.imap_unordered(_score, jobs, chunksize=8)
        else:
            _start_worker()
            rows = map(_score, jobs)
        for row in tqdm(rows, total=len(jobs), desc="cells", unit="cell", disable=not progress):
            writer.writerow(row)
            file.flush()
    _sort_by_index(out)


def _sort_by_index(out: Path) -> None:
    """Rewrite ``out`` with its rows in table order (workers finish cells out of order)."""
    header, *rows = out.read_text().splitlines()
    rows.sort(key=lambda line: int(line.split(",", 1)[0]))
    temporary = out.with_suffix(".tmp")
    temporary.write_text("\n".join([header, *rows]) + "\n")
    temporary.replace(out)


def summary(table: BenchmarkTable, out: Path, column: str = "val_acc_12") -> str:
    """Each proxy's Kendall tau against ``column`` over the cells scored, and the median seconds per cell."""
    proxies = BenchmarkTable(out)
    target = np.array([table.value(arch, column) for arch in proxies.architectures])
    lines = [f"{len(proxies)} cells; median {median(proxies.column('seconds')):.3f} s per cell on one thread"]
    for name in PROXIES:
        tau = rank_correlations(proxies.column(name), target)["kendall_tau"]
        lines.append(f"Kendall tau of {name} vs {column}: {tau:.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Compute the table (resuming), then print its summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=TABLE, help="NAS-Bench-201 CSV (default: ../shared)")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "nasbench201_proxies.csv")
    parser.add_argument("--workers", type=int, default=2, help="processes, one thread each (default: 2)")
    parser.add_argument("--limit", type=int, help="score only the table's first N cells")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if not args.table.is_file():
        raise SystemExit(f"no NAS-Bench-201 table at {args.table}; pass its path with --table")
    table = BenchmarkTable(args.table)
    start = time.perf_counter()
    compute(table, args.out, args.workers, args.limit, not args.no_progress)
    print(f"Machine: {machine()}. Wall clock {time.perf_counter() - start:.0f} s with {args.workers} workers.")
    print(summary(table, args.out))


if __name__ == "__main__":
    run_script(main)
