"""Progressive-search settings side by side on the development seeds of a table, local search and REA beside them.

Development runs, never the reported seeds: seeds 10000-10009 (``--runs``), the signal as the report, budgets 25 /
50 / 100 / 150. Each ``--variant LABEL:KEY=VALUE,...`` lays its settings over ``pnas benchmark --no-tune``'s
progressive defaults (``default`` with no settings: the defaults themselves; ``KEY=none`` unsets a setting).

    python benchmarks/progressive_settings.py --table CIFAR10.csv --signal val_acc_12 \
        --variant default --variant "rounds of ten:climb_round=none" [--runs 10] [--workers 2] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, run_script, table  # noqa: E402

from pnas.benchmark.nb201_table import nasbench201_space  # noqa: E402
from pnas.benchmark.quality import mean_se  # noqa: E402
from pnas.benchmark.runner import run_benchmark, worker_pool  # noqa: E402
from pnas.benchmark.table import BenchmarkTable, TableEvaluator  # noqa: E402
from pnas.benchmark.tuning import DEFAULT_SETTINGS, TUNING_SEED_OFFSET  # noqa: E402
from pnas.errors import ConfigError  # noqa: E402

ROOT = Path(__file__).resolve().parent
BUDGETS = (25, 50, 100, 150)
#: A strategy's label -> (its name in ``pnas benchmark``, the settings laid over its defaults).
Variants = dict[str, tuple[str, dict[str, Any]]]


def parse_variant(text: str) -> tuple[str, dict[str, Any]]:
    """``LABEL[:KEY=VALUE,...]`` -> the label and the settings (numbers parsed, ``none`` as ``None``).

    Raises:
        ConfigError: A setting is not ``KEY=VALUE``.
    """
    label, _, assignments = text.partition(":")
    settings: dict[str, Any] = {}
    for assignment in filter(None, assignments.split(",")):
        key, equals, value = assignment.partition("=")
        if not equals or not key:
            raise ConfigError(f"--variant {text!r}: settings are KEY=VALUE, comma-separated, after LABEL:")
        settings[key.strip()] = None if value.strip().lower() == "none" else _number(value.strip())
    return label.strip(), settings


def _number(value: str) -> Any:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def compare(
    evaluator: TableEvaluator, variants: Variants, seeds: list[int], workers: int
) -> tuple[list[list[str]], dict[str, Any]]:
    """Run every variant on ``seeds``; the Markdown rows and, per label, the mean ± SE at each budget and the median
    seconds per run at the last."""
    space, rows, figures = nasbench201_space(evaluator.table), [], {}
    with worker_pool(workers) as pool:
        for label, (name, settings) in variants.items():
            start = time.perf_counter()
            laid = {**DEFAULT_SETTINGS.get(name, {}), **settings}
            result = run_benchmark(evaluator, space, [name], BUDGETS, seeds, laid, progress=False, pool=pool)
            curves, times = 100 * result.curves[name], result.times[name]
            means = [mean_se(curves[:, budget - 1]) for budget in BUDGETS]
            figures[label] = {"signal": means, "seconds_at_150": float(np.median(times[:, -1]))}
            cells = [f"{mean:.2f} ± {se:.2f}" for mean, se in means]
            rows.append([label, *cells, f"{np.median(times[:, -1]):.1f}"])
            print(f"{label}: {', '.join(cells)} ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    return rows, figures


def report(
    table_path: Path, signal: str, seeds: list[int], rows: list[list[str]], figures: dict, out: Path | None
) -> dict:
    """Print the Markdown of a comparison (machine, table, signal, seeds, rows); write and return its JSON record."""
    headers = ["strategy", *(f"signal % at {budget}" for budget in BUDGETS), "median s per run at 150"]
    print(f"Machine: {machine()}. {table_path.name}, {signal}, seeds {seeds[0]}-{seeds[-1]}.\n")
    print(table(headers, rows))
    document = {"machine": machine(), "table": str(table_path), "signal": signal, "seeds": seeds}
    document["variants"] = figures
    if out is not None:
        out.write_text(json.dumps(document, indent=1) + "\n")
    return document


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every comparison takes: the table, the signal, the development runs, the workers, the JSON."""
    parser.add_argument("--table", type=Path, default=ROOT.parents[1] / "shared/data/nasbench201/cifar10.csv")
    parser.add_argument("--signal", default="val_acc_12")
    parser.add_argument("--runs", type=int, default=10, help="development seeds 10000.. (default: 10)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)


def run_comparison(args: argparse.Namespace, variants: Variants) -> dict:
    """Run ``variants``, then local search and REA, on the development seeds ``args`` name; print and return."""
    if not args.table.is_file():
        raise SystemExit(f"no NAS-Bench-201 table at {args.table}; pass its path with --table")
    variants = {**variants, "local search": ("local", {}), "REA": ("rea", {})}
    evaluator = TableEvaluator(BenchmarkTable(args.table), args.signal, args.signal)
    seeds = list(range(TUNING_SEED_OFFSET, TUNING_SEED_OFFSET + args.runs))
    rows, figures = compare(evaluator, variants, seeds, args.workers)
    return report(args.table, args.signal, seeds, rows, figures, args.json)


def main(argv: list[str] | None = None) -> dict:
    """Run every variant and the baselines on the development seeds; print a Markdown table, return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--variant", action="append", default=[], help="LABEL[:KEY=VALUE,...]; repeatable")
    args = parser.parse_args(argv)
    variants = {label: ("progressive", settings) for label, settings in map(parse_variant, args.variant or ["default"])}
    return run_comparison(args, variants)


if __name__ == "__main__":
    run_script(main)
