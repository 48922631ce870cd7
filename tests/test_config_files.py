"""The command-line YAML check: what would crash jsonargparse (or give it a screenful of usage) is one ConfigError.

These call the check directly: fed to jsonargparse, ``"[" * 100_000`` kills the test process.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pnas.config_files import MAX_NESTING, check_command_line, check_config_file
from pnas.errors import ConfigError
from tests.conftest import permission_denied

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*/*.yaml"))
DEEP_MAPPING = "".join("  " * level + "a:\n" for level in range(5000))


def refused(check, *args) -> str:
    """The message of the ConfigError ``check(*args)`` raises: one line, short enough to read."""
    with pytest.raises(ConfigError) as error:
        check(*args)
    message = str(error.value)
    assert "\n" not in message and len(message) < 400, message
    return message


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00\x81binary", "not UTF-8 text (byte 0xff at offset 0)"),
        ("[" * 100_000, f"nests lists or mappings more than {MAX_NESTING} levels deep"),
        (DEEP_MAPPING, f"nests lists or mappings more than {MAX_NESTING} levels deep"),
        ("a: &loop [1, *loop]\n", "uses the alias 'loop' inside the node it names, a loop"),
        ("- 1\n- 2\n", "holds a list, not a mapping of settings"),
        ("42\n", "holds a number, not a mapping of settings"),
        ("", "holds no settings"),
        ("# only a comment\n", "holds no settings"),
        ("a:\n\tb: 1\n", "is not valid YAML: while scanning for the next token, found character '\\t'"),
        ("model: \x00\n", "is not valid YAML: character #x0000 is not allowed"),
        ("seed_everything: 1\n---\nseed_everything: 2\n", "but found another document (line 2, column 1)"),
        ("trainer: 5\n", "'trainer' holds a number, not a mapping of Trainer settings"),
        ("trainer:\n", "'trainer' holds a null, not a mapping of Trainer settings"),
    ],
)
def test_a_config_file_jsonargparse_cannot_take_is_one_config_error(tmp_path, content, message):
    path = write(tmp_path / "config.yaml", content)
    text = refused(check_config_file, path)
    assert message in text and "config.yaml" in text
    assert message in refused(check_command_line, ["fit", "--config", str(path)])


def test_a_missing_unreadable_or_directory_config_file_is_named(tmp_path, monkeypatch):
    assert "'absent.yaml': file not found; pass the path of a YAML file" in refused(check_config_file, "absent.yaml")
    assert "is a directory, not a file" in refused(check_command_line, ["search", f"--config={tmp_path}"])
    assert "the path contains a NUL byte" in refused(check_command_line, ["fit", "-c", "a\x00.yaml"])
    path = write(tmp_path / "config.yaml", "seed_everything: 1\n")
    monkeypatch.setattr(Path, "read_bytes", permission_denied)
    assert "permission denied" in refused(check_command_line, ["fit", f"-c{path}"])


@pytest.mark.parametrize("path", CONFIGS, ids=[path.name for path in CONFIGS])
def test_the_shipped_configs_pass(path):
    check_command_line(["fit", "--config", str(path), "--trainer.max_epochs=1", "--model.genotype", "pnasnet5"])


def test_ordinary_yaml_passes(tmp_path):
    write(tmp_path / "bom.yaml", "\ufeffseed_everything: 1\n")
    write(tmp_path / "alias.yaml", "x: &one 1\nseed_everything: *one\n")
    write(tmp_path / "deep.yaml", "".join("  " * level + "a:\n" for level in range(MAX_NESTING)) + "  " * 100 + "1\n")
    for name in ("bom.yaml", "alias.yaml", "deep.yaml"):
        check_config_file(tmp_path / name)
    check_command_line(["fit", "--config={trainer: {max_epochs: 1}}", "--seed_everything=" + "[" * 50 + "]" * 50])


def test_argument_values_and_the_files_they_name_may_not_nest_too_deeply(tmp_path):
    deep = "[" * 100_000
    assert "argument '--seed_everything=[[[" in refused(check_command_line, ["fit", f"--seed_everything={deep}"])
    assert "nests lists or mappings" in refused(check_command_line, ["fit", "--model", "- " * 5000 + "x"])
    assert "the --config value nests" in refused(check_command_line, ["fit", "--config", "{a: " * 500])
    assert "'trainer' holds a number" in refused(check_command_line, ["fit", "--config={trainer: 1}"])
    assert "nests lists" in refused(check_command_line, ["fit", "--x=\x01" + deep])  # odd characters: read past
    write(tmp_path / "data.yaml", deep)
    assert "data.yaml' nests lists" in refused(check_command_line, ["fit", "--data", str(tmp_path / "data.yaml")])
    write(tmp_path / "model.ckpt", b"PK\x03\x04\xff" + b"[" * 1000)  # binary: jsonargparse does not read it as YAML
    check_command_line(["fit", f"--ckpt_path={tmp_path / 'model.ckpt'}"])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_config_from_a_pipe_is_left_for_jsonargparse_to_read(tmp_path):
    os.mkfifo(tmp_path / "pipe")  # as from --config <(...): reading it here would block, then leave nothing
    check_command_line(["fit", "--config", str(tmp_path / "pipe")])
