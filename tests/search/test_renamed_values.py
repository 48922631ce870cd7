"""The monitored value is ``value`` / ``best_value`` / ``test_value``; run directories of earlier releases resume."""

from __future__ import annotations

import csv
import json
import sqlite3

from tests.conftest import tiny_search


def test_records_name_the_monitored_value_and_keep_the_old_names_readable(tmp_path):
    result = tiny_search(tmp_path, monitor="val/acc")
    with open(tmp_path / "candidates.csv", newline="") as file:
        header = next(csv.reader(file))
    assert header[:4] == ["step", "cell", "predicted_value", "value"]
    summary = json.loads((tmp_path / "result.json").read_text())
    assert {"best_value", "test_value", "best_overall_value"} <= set(summary) and "best_val_acc" not in summary
    assert result.best_val_acc == result.best_value and result.test_acc == result.test_value
    record = result.candidates[-1]
    assert record.val_acc == record.value and record.predicted_acc == record.predicted_value
    assert result.steps[-1].best_val_acc == result.steps[-1].best_value


def test_a_run_directory_of_an_earlier_release_resumes_under_the_new_names(tmp_path):
    first = tiny_search(tmp_path)
    connection = sqlite3.connect(tmp_path / "search.sqlite")
    with connection:  # step reports as earlier releases stored them
        for step, report in connection.execute("SELECT step, report FROM steps").fetchall():
            old = {("best_val_acc" if key == "best_value" else key): value for key, value in json.loads(report).items()}
            connection.execute("UPDATE steps SET report = ? WHERE step = ?", (json.dumps(old), step))
    connection.close()
    summary = json.loads((tmp_path / "result.json").read_text())
    summary["test_acc"], summary["best_val_acc"] = summary.pop("test_value"), summary.pop("best_value")
    (tmp_path / "result.json").write_text(json.dumps(summary))
    (tmp_path / "best_candidate.pt").unlink()  # the test figure can only come from the old result.json

    again = tiny_search(tmp_path)
    assert again.added == 0 and [s.best_value for s in again.steps] == [s.best_value for s in first.steps]
    assert again.test_value == first.test_value is not None
    assert json.loads((tmp_path / "result.json").read_text())["test_value"] == first.test_value
