"""Searching a user's own LightningModule: its metric, its callbacks, its logger, from Python and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import yaml
from pytorch_lightning.callbacks import EarlyStopping, LearningRateMonitor, ModelCheckpoint, TQDMProgressBar

from pnas.cli import main
from pnas.data import DigitsDataModule
from pnas.errors import ConfigError
from pnas.search import Constraints, ProgressiveSearch, SearchTrainer, Tracking
from pnas.space import one_block_cells
from tests.conftest import TINY_TRAINER_KWARGS
from tests.search.user_module import (
    CountedF1Module,
    CountingCallback,
    CriterionModule,
    F1Module,
    NoGenotypeModule,
    TwoNetworkF1Module,
    UntestedModule,
)

QUICK = dict(progress=False, tracking=Tracking(mode="disabled"))


def search(run_dir, template=None, trainer_kwargs=None, max_blocks=2, **kwargs):
    trainer = SearchTrainer(**{**TINY_TRAINER_KWARGS, **(trainer_kwargs or {})})
    template = template if template is not None else F1Module(filters=3, lr=0.1)
    strategy = ProgressiveSearch(max_blocks=max_blocks, beam_size=2, initial_cells=3)
    return trainer.search(template, DigitsDataModule(), strategy, run_dir=str(run_dir), **{**QUICK, **kwargs})


def test_a_user_module_is_searched_on_its_own_metric(tmp_path):
    result = search(tmp_path, monitor="val/f1")
    assert len(result.candidates) == 5 and result.monitor == "val/f1"
    assert all(0 <= record.value <= 1 for record in result.candidates)
    assert result.best_value == max(record.value for record in result.candidates if record.step == 2)
    assert result.best_overall_value == max(record.value for record in result.candidates)
    assert result.test_value is not None  # test/f1, the counterpart of val/f1
    summary = json.loads((tmp_path / "result.json").read_text())
    assert summary["monitor"] == "val/f1" and summary["test_value"] == pytest.approx(result.test_value)
    rebuilt = F1Module.load_from_checkpoint(tmp_path / "best.ckpt")  # the user's class, the best cell
    assert rebuilt.hparams.genotype == str(result.best_cell) and rebuilt.hparams.filters == 3
    expected = sum(p.numel() for p in rebuilt.parameters())
    assert next(c for c in result.candidates if c.cell == str(result.best_cell)).parameters == expected


def test_candidates_share_the_templates_settings_and_its_non_hyperparameter_arguments(tmp_path):
    built = []
    template = F1Module(filters=3, optimizer=lambda params: built.append(1) or torch.optim.Adam(params, lr=1e-3))
    result = search(tmp_path, template, monitor="val/f1", max_blocks=1)
    assert len(built) == len(result.candidates) == 3  # every candidate trained with the template's optimizer


def test_mode_min_ranks_by_the_lowest_value(tmp_path):
    result = search(tmp_path, monitor="val/loss", mode="min")  # losses above 1: the surrogate sees them rescaled
    losses = [record.value for record in result.candidates]
    last = [record.value for record in result.candidates if record.step == 2]
    assert result.best_value == min(last) and result.best_overall_value == min(losses) < max(losses)
    assert max(losses) > 1
    predicted = [record.predicted_value for record in result.candidates if record.step == 2]
    assert all(p is not None and p > 1 for p in predicted)  # predictions in the metric's units
    assert json.loads((tmp_path / "result.json").read_text())["mode"] == "min"


def test_a_monitor_the_candidates_never_log_is_refused_with_what_they_did_log(tmp_path):
    with pytest.raises(ConfigError, match=r"logged no val/acc \(it logged: .*val/f1.*\)"):
        search(tmp_path, max_blocks=1)


def test_modules_that_cannot_build_candidates_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="takes no 'genotype' argument"):
        search(tmp_path, NoGenotypeModule())
    with pytest.raises(ConfigError, match="bad_mode"):
        search(tmp_path, mode="bad_mode")


def test_user_callbacks_run_for_every_candidate_except_checkpoints_and_progress_bars(tmp_path):
    CountingCallback.fits = 0
    callbacks = [
        EarlyStopping("val/f1", mode="max", patience=1),
        LearningRateMonitor(),
        CountingCallback(),
        ModelCheckpoint(),
        TQDMProgressBar(),
    ]
    with pytest.warns(UserWarning, match="ModelCheckpoint, TQDMProgressBar"):
        result = search(
            tmp_path,
            trainer_kwargs={"callbacks": callbacks, "max_epochs": 2, "enable_progress_bar": True},
            monitor="val/f1",
        )
    assert CountingCallback.fits == len(result.candidates) == 5
    assert [path.name for path in tmp_path.rglob("*.ckpt")] == ["best.ckpt"]  # no per-candidate checkpoints


def test_a_wandb_logger_given_to_the_trainer_is_the_searchs_run(tmp_path, monkeypatch):
    from pytorch_lightning.loggers import WandbLogger

    monkeypatch.setenv("WANDB_SILENT", "true")
    logger = WandbLogger(project="mine", name="own-run", save_dir=str(tmp_path / "own"), offline=True)
    search(tmp_path / "run", trainer_kwargs={"logger": logger}, monitor="val/f1", max_blocks=1, tracking=Tracking())
    assert list((tmp_path / "own/wandb").glob("offline-run-*")) and not (tmp_path / "run/wandb").exists()


def test_a_user_module_needs_no_data_attributes_it_does_not_take(capsys):
    # CriterionModule takes neither num_classes nor in_channels, and the boring data module has neither: the CLI
    # builds both and gets as far as Lightning's own check of the module (it has no training_step).
    data = "--data=pytorch_lightning.demos.boring_classes.BoringDataModule"
    with pytest.raises(SystemExit):
        main(["fit", "--model=tests.search.user_module.CriterionModule", data, "--trainer.max_epochs=1"])
    err = capsys.readouterr().err
    assert "training_step" in err and "num_classes" not in err


def test_pnas_search_takes_a_user_module_from_the_command_line(tmp_path, capsys):
    args = ["search", "--model", "tests.search.user_module.F1Module", "--model.init_args.filters", "3"]
    quick = [
        "--strategy=ProgressiveSearch",  # its arguments follow, with no config to name the class
        "--strategy.max_blocks=1",
        "--strategy.initial_cells=2",
        "--tracking.mode=disabled",
        "--progress=false",
        "--monitor=val/f1",
    ]
    trainer = ["--trainer.max_epochs=1", "--trainer.limit_train_batches=2", "--trainer.limit_val_batches=1"]
    trainer += ["--trainer.limit_test_batches=1", "--trainer.logger=false"]
    with pytest.raises(SystemExit) as printed:
        main([*args, *quick, *trainer, "--print_config"])
    assert printed.value.code == 0
    config = yaml.safe_load(capsys.readouterr().out)
    assert config["model"]["class_path"] == "tests.search.user_module.F1Module"
    assert config["model"]["init_args"]["filters"] == 3
    main([*args, *quick, *trainer, f"--run_dir={tmp_path / 'run'}"])
    out = capsys.readouterr().out
    assert "val/f1" in out and "best cell" in out
    stored = yaml.safe_load((tmp_path / "run/config.yaml").read_text())
    assert stored["model"]["class_path"] == "tests.search.user_module.F1Module" and stored["monitor"] == "val/f1"


def test_a_search_without_checkpoint_or_progress_callbacks_gives_no_warning(tmp_path, recwarn):
    search(tmp_path, trainer_kwargs={"callbacks": [CountingCallback()]}, monitor="val/f1", max_blocks=1)
    assert not [warning for warning in recwarn if "leaves out" in str(warning.message)]


def test_a_logger_other_than_wandb_is_not_used_and_named_in_a_warning(tmp_path):
    from pytorch_lightning.loggers import CSVLogger

    with pytest.warns(UserWarning, match="loggers: CSVLogger"):
        search(tmp_path / "run", trainer_kwargs={"logger": CSVLogger(tmp_path / "csv")}, monitor="val/f1", max_blocks=1)
    assert not (tmp_path / "csv").exists()


def test_a_module_without_a_test_step_is_exported_but_not_tested(tmp_path, capsys):
    result = search(tmp_path, UntestedModule(filters=3), monitor="val/f1", max_blocks=1)
    assert result.test_value is None and result.checkpoint == tmp_path / "best.ckpt"
    assert json.loads((tmp_path / "result.json").read_text())["test_value"] is None
    assert "the best cell was not tested" in capsys.readouterr().err


def test_a_single_callback_and_uncopyable_callbacks(tmp_path):
    import threading

    SearchTrainer(**{**TINY_TRAINER_KWARGS, "callbacks": CountingCallback()})  # Lightning accepts one callback

    class Locked(CountingCallback):
        def __init__(self):
            self.lock = threading.Lock()

    with pytest.raises(ConfigError, match="Locked cannot be copied"):
        search(tmp_path, trainer_kwargs={"callbacks": [Locked()]}, monitor="val/f1")


def test_each_candidate_gets_its_own_copy_of_module_arguments():
    from pnas.search.evaluation.candidates import CandidateFactory

    factory = CandidateFactory(CriterionModule(criterion=torch.nn.MSELoss()))
    first, second = factory.build("pnasnet5"), factory.build("pnasnet5")
    assert isinstance(first.criterion, torch.nn.MSELoss) and first.criterion is not second.criterion
    optimizer = lambda params: torch.optim.Adam(params)  # noqa: E731
    assert CandidateFactory(F1Module(optimizer=optimizer)).build("pnasnet5").optimizer is optimizer  # not copied


@pytest.mark.parametrize(
    ("monitor", "expected"),
    [("val/acc", "test/acc"), ("val_f1", "test_f1"), ("validation/loss", "test/loss"), ("valid_f1", "test_f1"),
     ("value", "value")],
)  # fmt: skip
def test_the_test_metric_is_the_monitors_test_counterpart(monitor, expected):
    from pnas.search.evaluation.lightning import LightningEvaluator

    assert LightningEvaluator(F1Module(), DigitsDataModule(), monitor=monitor).test_metric == expected


def test_limits_on_a_module_that_cannot_count_its_networks_are_one_line(tmp_path):
    template = TwoNetworkF1Module(filters=3)
    with pytest.raises(
        ConfigError, match=r"^max_params need .* TwoNetworkF1Module has no cell_costs.* holds no one Cell"
    ):
        search(tmp_path, template, monitor="val/f1", max_blocks=1, constraints=Constraints(max_params=10**6))


def test_a_module_without_cell_costs_is_counted_as_the_cell_network_it_holds(tmp_path):
    from pnas.search.constraints.limits import network_costs

    cells = one_block_cells()[:20]
    counted = network_costs(F1Module(filters=3), (1, 8, 8), 2, "max_params").of_cells(cells)
    declared = CountedF1Module(filters=3).cell_costs((1, 8, 8), 2).of_cells(cells)
    assert all(np.array_equal(counted[name], declared[name]) for name in ("params", "macs"))
    built = [F1Module(genotype=cell, filters=3).network.num_parameters for cell in cells[:3]]
    assert counted["params"][:3].tolist() == built
    limit = int(np.median(counted["params"]))
    result = search(tmp_path, F1Module(filters=3, lr=0.1), monitor="val/f1", constraints=Constraints(max_params=limit))
    assert result.candidates and all(record.parameters <= limit for record in result.candidates)


def test_limits_apply_to_a_module_that_counts_its_networks(tmp_path):
    template = CountedF1Module(filters=3, lr=0.1)
    costs = template.cell_costs((1, 8, 8), 2)
    limit = int(np.median(costs.of_cells(one_block_cells())["params"]))
    result = search(tmp_path, template, monitor="val/f1", constraints=Constraints(max_params=limit))
    assert result.candidates and all(record.parameters <= limit for record in result.candidates)
    assert result.steps[0].excluded > 0
