"""``make gpu-check`` on a machine without a GPU: it runs, skips the GPU parts saying why, and writes what it found."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks/gpu_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(torch.cuda.is_available(), reason="on a GPU machine the check runs whole (make gpu-check)")
def test_without_a_gpu_every_gpu_part_is_skipped_with_its_reason(gpu_check, tmp_path, capsys):
    paths = [tmp_path / "check.json", tmp_path / "check.md"]
    assert gpu_check.main([f"--json={paths[0]}", f"--markdown={paths[1]}"]) == 0
    results = json.loads(paths[0].read_text())
    parts = results["parts"]
    assert {name: part["status"] for name, part in parts.items()} == dict.fromkeys(gpu_check.LIMITS, "skipped")
    assert parts["cuda_tests"]["counts"]["skipped"] >= 6 and "passed" not in parts["cuda_tests"]["counts"]
    assert all("needs a CUDA GPU" in part["why"] for part in parts.values())
    assert "| search | skipped |" in paths[1].read_text()
    assert "wrote" in capsys.readouterr().out


def test_a_part_that_overruns_is_stopped_at_its_limit(gpu_check):
    start = time.perf_counter()
    code, output, seconds = gpu_check.run(
        [sys.executable, "-c", "print('started', flush=True); import time; time.sleep(60)"], 1.0
    )
    assert code is None and "started" in output and time.perf_counter() - start < 10
    assert gpu_check.outcome(code, seconds, 1.0)["why"] == "stopped at its 1 s limit"


def test_the_committed_gpu_results_summarise(gpu_check):
    path = ROOT / "benchmarks/results/gpu_check.json"
    if not path.is_file():
        pytest.skip("no GPU results committed")
    text = gpu_check.markdown(json.loads(path.read_text()))
    assert text.startswith("# GPU check") and "| cuda_tests |" in text
