"""The README's library snippet runs as written (with the Trainer cut to a few batches)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_space_snippet_runs():
    (snippet,) = [block for block in python_blocks() if "from pnas.space import" in block]
    exec(compile(snippet, "README.md", "exec"), {})


def test_lightning_project_snippet_runs(capsys):
    (snippet,) = [block for block in python_blocks() if "pl.Trainer(" in block]
    assert "max_epochs=15" in snippet
    quick = snippet.replace(
        "max_epochs=15", "max_epochs=1, limit_train_batches=2, limit_val_batches=1, limit_test_batches=1"
    )
    exec(compile(quick, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "test/acc" in out and "parameters" in out
