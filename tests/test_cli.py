from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from pnas.cli import main
from pnas.space import GENOTYPES, Cell, save_genotype
from tests.conftest import TINY_FIT_ARGS, cli_error

ROOT = Path(__file__).resolve().parents[1]
DIGITS_CONFIG = str(ROOT / "configs/fit/pnasnet5_digits.yaml")


def fit_args(tmp_path: Path) -> list[str]:
    return [
        "fit",
        "--config",
        DIGITS_CONFIG,
        *TINY_FIT_ARGS,
        f"--trainer.logger.init_args.save_dir={tmp_path}",
    ]


@pytest.mark.filterwarnings("ignore:The dirpath has changed")
def test_fit_smoke_on_digits_then_test_from_checkpoint(tmp_path, capsys):
    main(fit_args(tmp_path))
    checkpoint = tmp_path / "pnasnet5_digits/version_0/checkpoints/best.ckpt"
    assert checkpoint.is_file()
    assert "test/acc" in capsys.readouterr().out  # test_after_fit ran
    hparams = torch.load(checkpoint, weights_only=False)["hyper_parameters"]
    assert hparams["genotype"] == GENOTYPES["pnasnet5"].to_string()
    assert (hparams["num_classes"], hparams["in_channels"]) == (10, 1)  # linked from the data module

    main(["test", "--config", DIGITS_CONFIG, *TINY_FIT_ARGS, f"--ckpt_path={checkpoint}", "--trainer.logger=false"])
    assert "test/acc" in capsys.readouterr().out


def test_fit_with_a_genotype_json(tmp_path):
    cell = Cell(GENOTYPES["pnasnet5"].blocks[:2])
    path = save_genotype(cell, tmp_path / "found.json")
    main([*fit_args(tmp_path), f"--model.genotype={path}", "--test_after_fit=false"])
    checkpoint = tmp_path / "pnasnet5_digits/version_0/checkpoints/best.ckpt"
    assert torch.load(checkpoint, weights_only=False)["hyper_parameters"]["genotype"] == cell.to_string()


def test_print_config_shows_model_and_data(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--config", str(ROOT / "configs/fit/pnasnet5_cifar10_final.yaml"), "--print_config"])
    assert exit_info.value.code == 0
    printed = capsys.readouterr().out
    assert "class_path: pnas.data.CIFAR10DataModule" in printed
    assert "num_cells: 3" in printed and "filters: 48" in printed


def test_bad_genotype_is_one_line_without_traceback(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--model.genotype=warp(c-1) + identity(c-2)", "--trainer.max_epochs=1"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "pnas: error: unknown operation 'warp'" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_missing_cifar_data_is_one_line_without_traceback(tmp_path, capsys):
    args = ["fit", "--data=pnas.data.CIFAR10DataModule", f"--data.data_dir={tmp_path}", "--data.download=false"]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--trainer.max_epochs=1", "--trainer.logger=false", "--model.filters=4"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "pnas: error: CIFAR-10 not found in" in err and "Traceback" not in err


def test_python_dash_m_pnas_help():
    result = subprocess.run([sys.executable, "-m", "pnas", "--help"], capture_output=True, text=True, check=True)
    assert "Progressive Neural Architecture Search" in result.stdout
    assert "{fit,validate,test,predict,search}" in result.stdout


SEARCH_CONFIG = str(ROOT / "configs/search/digits.yaml")
TINY_SEARCH_ARGS = [
    "--strategy.max_blocks=2",
    "--strategy.beam_size=2",
    "--strategy.initial_cells=3",
    "--trainer.max_epochs=1",
    "--trainer.limit_train_batches=2",
    "--trainer.limit_val_batches=1",
    "--trainer.limit_test_batches=1",
    "--model.filters=4",
    "--progress=false",
    "--tracking.mode=disabled",
]


def test_search_smoke_on_digits(tmp_path, capsys):
    run_dir = tmp_path / "run"
    main(["search", "--config", SEARCH_CONFIG, *TINY_SEARCH_ARGS, f"--run_dir={run_dir}"])
    assert sorted(p.name for p in run_dir.iterdir()) == [
        ".pnas.lock",
        "best.ckpt",
        "best_candidate.pt",
        "best_cell.png",
        "best_genotype.json",
        "candidates.csv",
        "config.yaml",
        "predicted_vs_actual.png",
        "result.json",
        "search.sqlite",
        "search_progress.png",
        "steps.csv",
    ]
    rows = (run_dir / "candidates.csv").read_text().splitlines()
    assert len(rows) == 1 + 3 + 2 and all(row.endswith(",ok,") for row in rows[1:])
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert config["strategy"]["init_args"]["max_blocks"] == 2
    assert config["data"]["class_path"] == "pnas.data.DigitsDataModule"
    result = json.loads((run_dir / "result.json").read_text())
    assert result["candidates"] == 5 and 0 <= result["test_value"] <= 1
    assert "best cell:" in capsys.readouterr().out


def test_search_help_documents_its_arguments(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["search", "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for flag in ("--strategy", "--constraints.max_params", "--execution.workers", "--run_dir"):
        assert flag in text
    assert "What to train next" in text and "Candidates trained at once" in text


def test_search_with_a_bad_beam_size_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["search", "--config", SEARCH_CONFIG, "--strategy.beam_size=0", f"--run_dir={tmp_path}"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "pnas: error: beam_size=0: beam_size and initial_cells must be >= 1" in err
    assert "Traceback" not in err


def test_data_module_without_num_classes_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--data=pytorch_lightning.demos.boring_classes.BoringDataModule", "--trainer.max_epochs=1"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "pnas: error: num_classes is not set: give the data module a 'num_classes' attribute" in err
    assert "Traceback" not in err


def test_bad_digits_split_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--data.val_fraction=0.9", "--data.test_fraction=0.5", "--trainer.max_epochs=1"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "pnas: error: val_fraction and test_fraction must be in (0, 1) and sum to less than 1" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model.filters=0"], "filters must be an integer >= 1, got 0"),
        (["--model.num_cells=-1"], "num_cells must be an integer >= 0, got -1"),
        (["--model.dropout=2"], "dropout must be in [0, 1), got 2.0"),
        (["--data.init_args.batch_size=0"], "batch_size must be an integer >= 1, got 0"),
        (["--trainer.max_epochs=0"], "max_epochs is 0, so fit would train nothing"),
    ],
)
def test_bad_model_data_and_trainer_arguments_of_fit_are_one_line(tmp_path, capsys, args, message):
    err = cli_error(capsys, [*fit_args(tmp_path), *args])
    assert message in err and len(err.strip().splitlines()) == 1


def test_build_network_refuses_a_network_without_outputs():
    from pnas import ConfigError, build_network

    with pytest.raises(ConfigError, match="num_classes must be an integer >= 1, got 0"):
        build_network("pnasnet5", num_classes=0)


def damaged_checkpoints(tmp_path: Path) -> dict[str, Path]:
    whole = tmp_path / "whole.ckpt"
    torch.save({"state_dict": {"weight": torch.arange(4096.0)}}, whole)
    data = whole.read_bytes()
    middle = data.index(torch.arange(4096.0).numpy().tobytes()[:64])  # inside the tensor's bytes
    files = {
        "missing": tmp_path / "missing.ckpt",
        "garbage": tmp_path / "garbage.ckpt",
        "cut short": tmp_path / "cut.ckpt",
        "damaged inside": tmp_path / "flipped.ckpt",
        "a folder": tmp_path,
    }
    files["garbage"].write_bytes(bytes(range(256)) * 20)
    files["cut short"].write_bytes(data[: len(data) // 2])
    files["damaged inside"].write_bytes(data[:middle] + b"\xff" * 64 + data[middle + 64 :])
    return files


def test_check_checkpoint_file_accepts_whole_checkpoints_and_lightning_names(tmp_path):
    from pnas.cli import check_checkpoint_file

    damaged_checkpoints(tmp_path)
    for good in (tmp_path / "whole.ckpt", "best", "last", None, "s3://bucket/model.ckpt"):
        check_checkpoint_file(good)


@pytest.mark.parametrize("kind", ["missing", "garbage", "cut short", "damaged inside", "a folder"])
def test_a_bad_ckpt_path_is_one_line_before_any_work(tmp_path, capsys, kind):
    path = damaged_checkpoints(tmp_path)[kind]
    err = cli_error(capsys, ["test", *TINY_FIT_ARGS, f"--ckpt_path={path}"])
    assert f"ckpt_path {path} is not a" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe binary", "[" * 100_000, "a: &x [*x]\n", "- 1\n", "trainer: 5\n"],
    ids=["binary", "deeply-nested", "self-alias", "a-list", "trainer-not-a-mapping"],
)
def test_a_bad_config_file_is_one_line(tmp_path, capsys, content):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    err = cli_error(capsys, ["fit", "--config", str(path)])
    assert "bad.yaml" in err and len(err.strip().splitlines()) == 1


def test_a_plain_zip_is_not_a_checkpoint(tmp_path, capsys):
    import zipfile

    path = tmp_path / "plain.ckpt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    err = cli_error(capsys, ["test", *TINY_FIT_ARGS, f"--ckpt_path={path}"])
    assert "is not a readable checkpoint" in err


def test_only_the_disks_own_errors_are_one_line_and_a_bug_in_handling_one_keeps_its_traceback():
    from pnas.cli import _user_facing

    try:
        try:
            raise FileNotFoundError(2, "No such file or directory", "x.yaml")
        except OSError:
            raise KeyError("a bug while handling it") from None
    except KeyError as bug:
        assert _user_facing(bug) is None
    full = OSError(28, "No space left on device")
    assert (
        _user_facing(full)
        == "OSError: [Errno 28] No space left on device (check the path, the permissions and the free space)"
    )
    wrapped = RuntimeError("saving failed")
    wrapped.__cause__ = full
    assert _user_facing(wrapped).startswith("OSError: [Errno 28]")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--pruner=hyperband"],
            "pruner: got 'hyperband'; expected one of none, median, successive_halving or a class path",
        ),
        (["--trainer.max_epochs=abc"], "trainer.max_epochs: got 'abc'; expected int or null"),
        (["--strategy.beam_size=x"], "strategy.beam_size: got 'x'; expected int"),
        (["--no_such_flag=1"], "unrecognized arguments: --no_such_flag=1"),
    ],
)
def test_an_argument_jsonargparse_refuses_is_one_line_that_names_the_help(tmp_path, capsys, args, message):
    err = cli_error(capsys, ["search", "--config", SEARCH_CONFIG, *args, f"--run_dir={tmp_path}"])
    assert err.strip() == f"pnas: error: {message} (see pnas search --help)"
    assert not (tmp_path / "search.sqlite").exists()


def test_an_unknown_subcommand_is_one_line_that_names_the_commands_help(capsys):
    err = cli_error(capsys, ["serch"])
    assert "invalid choice: 'serch'" in err and err.strip().endswith("(see pnas --help)")
    assert len(err.strip().splitlines()) == 1
