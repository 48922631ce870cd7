"""The GPU check: ``make gpu-check``. Every CUDA path tested and a candidate measured on the GPU, in one command.

Four parts, each in its own process with its own time limit, so one that fails or hangs does not stop the others:

- ``cuda_tests``: the tests marked ``cuda`` (``tests/gpu``): the device-resident loader on ``cuda`` against its CPU
  path, a bf16 channels-last candidate with drop-path and the auxiliary head, 4 workers on one GPU, an
  out-of-memory candidate contained, ``latency_device: cuda``, Ray ``num_gpus`` (when Ray is installed).
- ``throughput``: ``benchmarks/candidate_throughput.py --accelerator cuda``: the data paths, Lightning against a
  plain loop with its fixed cost, the paper-setting candidate (N=2, F=24, the PNASNet-5 cell, batch 128) for one
  epoch of CIFAR-shaped random images at 1, 2 and 4 candidates per GPU with the extrapolated hours of the paper's
  1,160-candidate search, and that network's training step eager against ``torch.compile``.
- ``search``: ``pnas search --config configs/search/cifar10_small.yaml`` on random CIFAR-shaped images
  (:class:`~pnas.data.synthetic.SyntheticCIFAR10DataModule`) with 4 workers on the GPU: a few candidates of one
  epoch, ending with a complete run directory.

On a machine without a CUDA GPU the tests are collected and skipped with their reason, and the other parts are
skipped with theirs: the script runs everywhere, so ``make test`` keeps it from rotting. It prints what it checked
and the figures, writes ``--json`` and ``--markdown`` (by default, on a GPU only: ``benchmarks/results/gpu_check.*``),
and exits 1 if any part failed.

    python benchmarks/gpu_check.py [--json benchmarks/results/gpu_check.json]
        [--markdown benchmarks/results/gpu_check.md]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from _report import machine  # noqa: E402

#: Seconds each part may take at most; together they fit the 8 minutes one GPU call is given. On an H200 the tests
#: took 65 s, the search 60 s, and the throughput's data, lightning and paper sections (1, 2 and 4 at once) 4 to 5
#: minutes: the paper section is last but one, and the results are kept up to the last finished section.
LIMITS = {"cuda_tests": 80, "throughput": 330, "search": 70}

#: The files a finished search leaves in its run directory.
RUN_FILES = ("search.sqlite", "candidates.csv", "steps.csv", "result.json", "best_genotype.json", "best.ckpt")

#: The throughput benchmark as the check runs it: one epoch (351 batches of 128 = 45,000 images) per candidate.
THROUGHPUT_ARGS = [
    "--accelerator=cuda",
    "--sections=data,lightning,paper,compile",
    "--repeats=1",
    "--paper-batches=351",
    "--paper-val-batches=39",
    "--paper-workers=1,2,4",
]


def run(command: list[str], limit: float) -> tuple[int | None, str, float]:
    """Run ``command`` in the repository, stopped (its whole process group) after ``limit`` seconds.

    Returns its exit code (``None``: stopped at the limit), its output (stdout and stderr together, echoed as it
    comes) and its seconds.
    """
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )
    stopped = threading.Event()

    def stop() -> None:
        stopped.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    watchdog = threading.Timer(limit, stop)
    watchdog.start()
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        print(f"    {line}", end="", flush=True)
    code = process.wait()
    watchdog.cancel()
    return (None if stopped.is_set() else code), "".join(lines), time.perf_counter() - start


def outcome(code: int | None, seconds: float, limit: float, **extra: Any) -> dict[str, Any]:
    """A part's record: passed, or failed with why."""
    if code is None:
        return {"status": "failed", "why": f"stopped at its {limit:.0f} s limit", "seconds": seconds, **extra}
    if code != 0:
        return {"status": "failed", "why": f"exit status {code}", "seconds": seconds, **extra}
    return {"status": "passed", "seconds": seconds, **extra}


def cuda_tests(cuda: bool) -> dict[str, Any]:
    """The ``cuda`` tests; on a machine without a GPU they are skipped, and the reason is the part's."""
    command = [sys.executable, "-m", "pytest", "-m", "cuda", "tests/gpu", "-q", "-rs", "-p", "no:cacheprovider"]
    code, output, seconds = run(command, LIMITS["cuda_tests"])
    counts = {word: int(number) for number, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)", output)}
    reasons = sorted(set(re.findall(r"SKIPPED \[\d+\] [^:]+:\d*:? ?(.*)", output)))
    record = outcome(code, seconds, LIMITS["cuda_tests"], counts=counts, skip_reasons=reasons)
    if record["status"] == "passed" and not cuda:
        record.update(status="skipped", why="; ".join(reasons) or "no CUDA GPU visible")
    return record


def throughput(folder: Path) -> dict[str, Any]:
    """``candidate_throughput.py`` on the GPU; its figures."""
    path = folder / "throughput.json"
    command = [sys.executable, "benchmarks/candidate_throughput.py", *THROUGHPUT_ARGS, f"--json={path}"]
    code, _, seconds = run(command, LIMITS["throughput"])
    figures = json.loads(path.read_text()) if path.is_file() else {}
    return outcome(code, seconds, LIMITS["throughput"], figures=figures)


def search(folder: Path) -> dict[str, Any]:
    """A short ``cifar10_small`` search with 4 workers on the GPU; passed when its run directory is complete."""
    run_dir = folder / "search"
    command = [
        sys.executable,
        "-m",
        "pnas",
        "search",
        "--config=configs/search/cifar10_small.yaml",
        "--data=pnas.data.synthetic.SyntheticCIFAR10DataModule",
        f"--data.data_dir={folder / 'data'}",
        "--data.train_size=2560",
        "--data.val_size=512",
        "--data.on_device=true",
        "--trainer.max_epochs=1",
        "--strategy.max_blocks=2",
        "--strategy.beam_size=4",
        "--strategy.initial_cells=4",
        "--execution.workers=4",
        "--tracking.mode=disabled",
        "--progress=false",
        f"--run_dir={run_dir}",
    ]
    code, _, seconds = run(command, LIMITS["search"])
    missing = [name for name in RUN_FILES if not (run_dir / name).is_file()]
    record = outcome(code, seconds, LIMITS["search"], missing_files=missing)
    result = run_dir / "result.json"
    if result.is_file():
        record["result"] = json.loads(result.read_text())
    if record["status"] == "passed" and missing:
        record.update(status="failed", why=f"the run directory lacks {', '.join(missing)}")
    return record


def summary_lines(results: dict[str, Any]) -> list[str]:
    """The figures worth reading, as Markdown lines."""
    lines = []
    figures = results["parts"].get("throughput", {}).get("figures", {})
    paper = figures.get("paper", {})
    if paper:
        lines.append(
            f"- paper-setting candidate, one at a time: {paper['train_images_per_s']:,.0f} train img/s, "
            f"{paper['val_images_per_s']:,.0f} val img/s, {paper['candidate_seconds']:,.0f} s per 20-epoch candidate"
        )
        for key, value in sorted(paper.items()):
            if key.startswith("concurrent_"):
                lines.append(
                    f"- {value['workers']} candidates at once: {value['speedup']:.2f}x one at a time, "
                    f"{value['candidate_seconds']:,.0f} s per candidate, the paper's search "
                    f"{value['search_device_hours']:.1f} GPU-hours"
                )
        lines.append(
            f"- the paper's 1,160-candidate search at the best setting: {paper['best_search_device_hours']:.1f} "
            "GPU-hours (target <= 10, moonshot 6)"
        )
    compiled = figures.get("compile", {})
    if "speedup" in compiled:
        lines.append(
            f"- torch.compile: steps {compiled['speedup']:.2f}x eager, {compiled['compile_seconds']:.0f} s to compile "
            f"each candidate, {compiled['saved_seconds_per_candidate']:.0f} s saved per paper candidate: "
            f"{'pays' if compiled['pays'] else 'does not pay'}"
        )
    elif compiled:
        lines.append(f"- torch.compile: did not run ({compiled.get('compiled', {}).get('error', '?')})")
    lightning = figures.get("lightning", {})
    if lightning:
        lines.append(
            f"- Lightning vs a plain loop: {lightning['ratio']:.2f}x, fixed cost {lightning['fixed_seconds']:.2f} s "
            "per candidate"
        )
    data = figures.get("data", {})
    if data:
        lines.append(
            f"- device-resident data vs DataLoader: {data['on_device_vs_loader_candidates']:.2f}x candidates/s"
        )
    return lines


def markdown(results: dict[str, Any]) -> str:
    """The summary: what was checked, each part's status, and the figures."""
    rows = [
        f"| {name} | {part['status']} | {part.get('seconds', 0):.0f} | {part.get('why', '')} |"
        for name, part in results["parts"].items()
    ]
    tests = results["parts"].get("cuda_tests", {}).get("counts", {})
    return "\n".join(
        [
            "# GPU check",
            "",
            f"Device: {results['device']}. Machine: {results['machine']}. torch {results['versions']['torch']}, "
            f"Lightning {results['versions']['pytorch_lightning']}. `make gpu-check`, {results['seconds']:.0f} s.",
            "",
            "| part | status | s | why |",
            "|---|---|---|---|",
            *rows,
            "",
            f"CUDA tests: {', '.join(f'{n} {w}' for w, n in tests.items()) or 'none ran'}.",
            "",
            *summary_lines(results),
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the parts, print and write the results; 0 when none failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="results file (on a GPU: benchmarks/results/gpu_check.json)")
    parser.add_argument("--markdown", type=Path, help="summary file (on a GPU: benchmarks/results/gpu_check.md)")
    args = parser.parse_args(argv)

    import pytorch_lightning as pl
    import torch

    cuda = torch.cuda.is_available()
    device = torch.cuda.get_device_name(0) if cuda else "no CUDA GPU"
    print(f"GPU check on {device} ({machine()})", flush=True)
    start = time.perf_counter()
    parts: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="pnas-gpu-check-") as scratch:
        folder = Path(scratch)
        for name, part in (
            ("cuda_tests", lambda: cuda_tests(cuda)),
            ("throughput", lambda: throughput(folder)),
            ("search", lambda: search(folder)),
        ):
            print(f"\n== {name}", flush=True)
            if name != "cuda_tests" and not cuda:
                parts[name] = {"status": "skipped", "why": "needs a CUDA GPU and none is visible"}
            else:
                parts[name] = part()
            print(f"== {name}: {parts[name]['status']} {parts[name].get('why', '')}", flush=True)
    results = {
        "device": device,
        "machine": machine(),
        "versions": {"torch": torch.__version__, "pytorch_lightning": pl.__version__},
        "seconds": time.perf_counter() - start,
        "parts": parts,
    }
    text = markdown(results)
    print("\n" + text)
    if cuda:  # a machine without a GPU never replaces the GPU's results
        args.json = args.json or ROOT / "benchmarks/results/gpu_check.json"
        args.markdown = args.markdown or ROOT / "benchmarks/results/gpu_check.md"
    for path, content in ((args.json, json.dumps(results, indent=2) + "\n"), (args.markdown, text)):
        if path is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        print(f"wrote {path}")
    failed = [name for name, part in parts.items() if part["status"] == "failed"]
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
