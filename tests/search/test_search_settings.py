"""The search's settings in groups: the strategy by class path, constraints and execution; the flat ones still work."""

from __future__ import annotations

import csv
import inspect

import pytest
import yaml

from pnas.cli import main
from pnas.data import DigitsDataModule
from pnas.errors import ConfigError
from pnas.module import PNASModule
from pnas.search import Constraints, Execution, ProgressiveSearch, RandomSearch, SearchTrainer, Tracking
from pnas.search.flat_settings import FLAT_SETTINGS, deprecated_flat_settings, group_settings
from pnas.search.spaces.cell_space import CellSpace
from tests.conftest import TINY_TRAINER_KWARGS, cli_error
from tests.search.cli_searches import ROOT, SEARCH

QUIET = {"progress": False, "tracking": Tracking(mode="disabled")}


def rows(run_dir):
    with open(run_dir / "candidates.csv", newline="") as file:
        return list(csv.DictReader(file))


def test_another_strategy_chosen_by_class_path_in_the_cli(tmp_path):
    main([*SEARCH, "--strategy=pnas.search.RandomSearch", "--strategy.budget=3", f"--run_dir={tmp_path}"])
    assert len(rows(tmp_path)) == 3
    config = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert config["strategy"]["class_path"] == "pnas.search.RandomSearch"


def test_grouped_settings_from_python(tmp_path):
    trainer = SearchTrainer(**TINY_TRAINER_KWARGS)
    template = PNASModule(num_classes=10, in_channels=1, num_cells=1, filters=4)
    strategy = RandomSearch(CellSpace(2), budget=2, seed=3)
    result = trainer.search(template, DigitsDataModule(), strategy, execution=Execution(workers=1),
                            run_dir=str(tmp_path), **QUIET)  # fmt: skip
    assert len(result.candidates) == 2
    recorded = yaml.safe_load((tmp_path / "config.yaml").read_text())["search"]
    assert recorded["strategy"]["class_path"].endswith("RandomSearch") and recorded["strategy"]["settings"]["seed"] == 3
    with pytest.raises(ConfigError, match="seed"):  # a resumed search must be the same search
        trainer.search(
            template, DigitsDataModule(), RandomSearch(CellSpace(2), budget=3, seed=4), run_dir=str(tmp_path), **QUIET
        )


def test_constraints_on_a_strategy_that_does_not_grow_cells_are_one_line(tmp_path, capsys):
    args = [*SEARCH, "--strategy=pnas.search.RandomSearch", "--constraints.max_params=100000", f"--run_dir={tmp_path}"]
    assert "max_params need a strategy that grows cells block by block" in cli_error(capsys, args)


def test_flat_settings_still_work_with_a_deprecation_line(tmp_path):
    trainer = SearchTrainer(**TINY_TRAINER_KWARGS)
    template = PNASModule(num_classes=10, in_channels=1, num_cells=1, filters=4)
    with pytest.warns(FutureWarning, match="initial_cells -> .*workers -> execution.workers, wandb -> tracking.mode"):
        result = trainer.search(template, DigitsDataModule(), max_blocks=1, initial_cells=2, workers=1,
                                run_dir=str(tmp_path), progress=False, wandb="disabled")  # fmt: skip
    assert len(result.candidates) == 2


def test_a_config_of_flat_settings_still_runs(tmp_path):
    config = yaml.safe_load((ROOT / "configs/search/digits.yaml").read_text())
    del config["strategy"], config["execution"]
    config.update(max_blocks=1, initial_cells=2, workers=1, max_params=10**6)
    path = tmp_path / "flat.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.warns(FutureWarning, match="max_params -> constraints.max_params"):
        main([*SEARCH[:2], str(path), *SEARCH[6:], f"--run_dir={tmp_path / 'run'}"])
    assert len(rows(tmp_path / "run")) == 2


def test_a_flat_strategy_setting_beside_a_strategy_is_one_line(tmp_path, capsys):
    err = cli_error(capsys, [*SEARCH, "--max_blocks=3", f"--run_dir={tmp_path}"])
    assert "max_blocks set beside a strategy: set them in the strategy (strategy.init_args.max_blocks)" in err


def test_flat_settings_fold_into_their_groups():
    with pytest.warns(FutureWarning):
        strategy, constraints, execution, tracking = group_settings(
            None, Constraints(max_macs=5), None, Tracking(group="g"), 7,
            {"beam_size": 3, "max_params": 9, "num_cpus": 1.0, "workers": None, "wandb_project": "p"},
        )  # fmt: skip
    assert isinstance(strategy, ProgressiveSearch) and (strategy.beam_size, strategy.seed) == (3, 7)
    assert constraints == Constraints(max_params=9, max_macs=5) and execution == Execution(num_cpus=1.0)
    assert tracking == Tracking(project="p", group="g")


def test_the_deprecated_flat_settings_are_exactly_the_ones_folded_into_groups():
    names = [name for name in inspect.signature(deprecated_flat_settings).parameters if name != "unknown"]
    assert names == list(FLAT_SETTINGS)
    assert deprecated_flat_settings(workers=2)["workers"] == 2
    with pytest.raises(TypeError, match="SearchTrainer.search\\(\\) got an unexpected keyword argument 'max_block'"):
        deprecated_flat_settings(max_block=3)
