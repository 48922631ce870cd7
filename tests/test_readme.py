"""The snippets of the README and of docs/ run as written (with the Trainer cut to a few batches)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from pnas.cli import main
from pnas.search import Tracking

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def documentation() -> str:
    """The README and every page of docs/, as one text."""
    return "\n".join(path.read_text() for path in [README, *sorted((ROOT / "docs").glob("*.md"))])


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", documentation(), flags=re.S)


def test_space_snippet_runs():
    (snippet,) = [block for block in python_blocks() if "from pnas.space import" in block]
    exec(compile(snippet, "documentation", "exec"), {})


def test_lightning_project_snippet_runs(capsys):
    (snippet,) = [block for block in python_blocks() if "pl.Trainer(" in block]
    assert "max_epochs=15" in snippet
    quick = snippet.replace(
        "max_epochs=15", "max_epochs=1, limit_train_batches=2, limit_val_batches=1, limit_test_batches=1"
    )
    exec(compile(quick, "documentation", "exec"), {})
    out = capsys.readouterr().out
    assert "test/acc" in out and "parameters" in out


def test_search_snippet_runs(tmp_path):
    (snippet,) = [block for block in python_blocks() if "SearchTrainer(" in block and "PNASModule(" in block]
    tiny_trainer = "max_epochs=1, limit_train_batches=2, limit_val_batches=1, limit_test_batches=1"
    quick = snippet.replace("max_epochs=8", tiny_trainer).replace(
        "max_blocks=3, beam_size=8, initial_cells=32", "max_blocks=2, beam_size=2, initial_cells=3"
    )
    quick = quick.replace('run_dir="runs/search/mine"', 'run_dir="runs/search/mine", progress=False')
    assert quick.count("limit_train_batches") == 1 and "progress=False" in quick
    namespace: dict = {}
    exec(compile(quick, "documentation", "exec"), namespace)
    assert namespace["result"].best_cell is not None
    assert (tmp_path / "runs/search/mine/candidates.csv").is_file()


def test_surrogate_snippet_runs():
    (snippet,) = [block for block in python_blocks() if "from surrogate import" in block]
    cells = [[(0, i % 8, 1, (3 * i) % 8)] for i in range(20)]
    accuracies, params = [0.5 + i / 100 for i in range(20)], [float(i) for i in range(20)]
    namespace = {"cells": cells, "accuracies": accuracies, "other_cells": cells[:4], "params": params}
    exec(compile(snippet, "documentation", "exec"), namespace)
    assert namespace["mean"].shape == namespace["std"].shape == (4,)
    assert namespace["sized"].predict(cells[:4], features=params[:4])[0].shape == (4,)


@pytest.fixture
def readme_user_module(tmp_path, monkeypatch):
    """The docs' my_module.py, written out and importable, as a user's project would have it."""
    (module,) = [block for block in python_blocks() if "class DigitsF1Module" in block]
    (tmp_path / "my_module.py").write_text(module)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("my_module", None)


def test_user_module_example_runs_from_python(readme_user_module):
    (snippet,) = [block for block in python_blocks() if "from my_module import" in block]
    quick = snippet.replace("max_epochs=8,", "max_epochs=1, limit_train_batches=2, limit_val_batches=1,")
    quick = quick.replace("max_blocks=2, beam_size=4, initial_cells=16", "max_blocks=2, beam_size=2, initial_cells=3")
    quick = quick.replace('run_dir="runs/search/f1",', 'run_dir="runs/search/f1", progress=False, tracking=QUIET,')
    namespace: dict = {"QUIET": Tracking(mode="disabled")}
    assert quick.count("limit_train_batches") == 1 and quick.count("progress=False") == 1
    exec(compile(quick, "documentation", "exec"), namespace)
    result = namespace["result"]
    assert result.monitor == "val/f1" and len(result.candidates) == 5 and result.test_value is not None
    assert (readme_user_module / "runs/search/f1/best.ckpt").is_file()


def test_user_module_example_runs_from_its_yaml_config(readme_user_module, capsys):
    (config,) = re.findall(r"```yaml\n(# my_search.yaml.*?)```", documentation(), flags=re.S)
    path = readme_user_module / "my_search.yaml"
    path.write_text(config)
    tiny = ["--trainer.max_epochs=1", "--trainer.limit_train_batches=2", "--trainer.limit_val_batches=1"]
    tiny += [
        "--trainer.limit_test_batches=1",
        "--strategy.max_blocks=1",
        "--strategy.initial_cells=2",
        "--progress=false",
    ]
    main(["search", "--config", str(path), *tiny, "--tracking.mode=disabled"])
    assert "val/f1" in capsys.readouterr().out
    assert (readme_user_module / "runs/search/f1/result.json").read_text().count('"monitor": "val/f1"') == 1


def test_networks_snippet_prints_the_multiply_adds_the_readme_states(capsys):
    (snippet,) = [block for block in python_blocks() if "count_macs(" in block]
    exec(compile(snippet, "documentation", "exec"), {})
    printed = capsys.readouterr().out.strip()
    assert f"# {printed}" in snippet and f"{int(printed):,}" in documentation()


def test_every_config_the_readme_names_exists():
    named = set(re.findall(r"configs/[\w/]+\.yaml", documentation()))
    assert "configs/fit/pnasnet5_cifar10_final.yaml" in named and "configs/fit/pnasnet5_imagenet_mobile.yaml" in named
    assert sorted(name for name in named if not (ROOT / name).is_file()) == []


def test_the_readme_is_a_front_door_and_every_relative_link_resolves():
    assert len(README.read_text().splitlines()) <= 250
    for page in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"
