"""Latency at batch size 1: timed forward passes after a warm-up, measured once per cell and kept in a file."""

from __future__ import annotations

import json
import time

import pytest
import torch
from torch import nn

from pnas.nn.latency import CellLatency, measure_latency_ms


class Sleeper(nn.Module):
    """A network whose forward pass takes ``seconds`` and counts its calls."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds, self.calls, self.shapes = seconds, 0, []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        self.shapes.append(tuple(x.shape))
        time.sleep(self.seconds)
        return x


def test_the_median_of_the_timed_passes_after_the_warm_up_in_eval_mode():
    network = Sleeper(0.004)
    latency = measure_latency_ms(network, (1, 8, 8), repeats=7, warmup=3)
    assert network.calls == 10 and set(network.shapes) == {(1, 1, 8, 8)}  # batch size 1
    assert not network.training
    assert 4.0 <= latency < 40.0  # a sleep never ends early; the bound is loose for a busy machine


def test_each_cell_is_measured_once_and_a_later_run_reads_the_saved_file(tmp_path):
    built = []

    def build(cell):
        built.append(cell)
        return Sleeper(0.001 * len(cell))

    path = tmp_path / "latency.json"
    latency = CellLatency(build, (1, 4, 4), repeats=3, warmup=1, path=path)
    first = latency.of_cell("ab")
    assert latency.of_cell("ab") == first and built == ["ab"] and first >= 2.0
    assert not path.exists()  # written when saved: a search saves before each step trains
    latency.save()
    assert json.loads(path.read_text()) == {"ab": first}
    again = CellLatency(lambda cell: pytest.fail("measured again"), (1, 4, 4), path=path)
    assert again.of_cell("ab") == first  # a resumed search proposes from the same numbers


@pytest.mark.parametrize(
    ("device", "message"),
    [("gpu0", "is not a device"), ("cuda:7", "is not on this machine"), ("meta", "cpu or cuda devices")],
)
def test_a_device_this_machine_lacks_is_refused_in_one_line(device, message):
    from pnas.errors import ConfigError
    from pnas.nn.latency import check_latency_device

    if device.startswith("cuda") and torch.cuda.device_count() > 7:
        pytest.skip("this machine has 8 GPUs")
    with pytest.raises(ConfigError, match=message):
        check_latency_device(device)
    assert check_latency_device("cpu").type == "cpu"
