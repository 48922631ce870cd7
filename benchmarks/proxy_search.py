"""Progressive search with and without zero-cost proxies as the surrogate's side features: LSTM, forest and blend.

Development runs, never the reported seeds: seeds 10000-10009 (``--runs``), the signal as the report, budgets 25 /
50 / 100 / 150, ``pnas benchmark --no-tune``'s defaults otherwise (K=5, rounds of 10, then the climb from the best
full cell one cell at a time); local search and REA at their defaults beside them. The proxies' compute time (the
table's ``seconds`` of every distinct cell scored or fitted on) is counted in each run's wall clock.

    python benchmarks/proxy_search.py [--table CIFAR10.csv] [--signal val_acc_12] [--proxies PROXIES.csv]
        [--surrogates lstm,forest,blend] [--without-proxies] [--runs 10] [--workers 2] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import run_script  # noqa: E402
from progressive_settings import Variants, add_arguments, run_comparison  # noqa: E402

ROOT = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> dict:
    """Run every variant on the development seeds; print a Markdown table and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--proxies", type=Path, default=ROOT / "data" / "nasbench201_proxies.csv")
    parser.add_argument("--surrogates", default="lstm,forest,blend", help="default: lstm,forest,blend")
    parser.add_argument("--without-proxies", action="store_true", help="only the variants without proxies")
    args = parser.parse_args(argv)
    variants: Variants = {
        f"progressive, {surrogate}{' + proxies' if proxies else ''}": (
            "progressive",
            {"surrogate": surrogate, "proxies": str(args.proxies) if proxies else None},
        )
        for surrogate in args.surrogates.split(",")
        for proxies in ((False,) if args.without_proxies else (False, True))
    }
    return run_comparison(args, variants)


if __name__ == "__main__":
    run_script(main)
