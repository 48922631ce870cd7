"""A tiny search logged to an offline W&B run, read back from disk (no network, no account)."""

from __future__ import annotations

import json

import pytest

from pnas.module import PNASModule
from pnas.space import Cell
from tests.conftest import tiny_search
from tests.wandb_offline import summarize


def search_with_wandb(run_dir, **kwargs):
    # beam 4: at least 3 candidates at step 2, so the surrogate's rank correlations are defined
    return tiny_search(run_dir, beam_size=4, **{"wandb": "offline", **kwargs})


def search_runs(run_dir):
    """The offline sessions of the search's own W&B run (its candidates' runs left out), oldest first."""
    search_id = json.loads((run_dir / "wandb_run.json").read_text())["id"]
    return sorted((run_dir / "wandb").glob(f"offline-run-*-{search_id}"))


def run_record(wandb_dir):
    """The run record of an offline W&B run: its project, group, job type, name, ..."""
    from tests.wandb_offline import finished_run

    return next(record.run for record in finished_run(wandb_dir) if record.WhichOneof("record_type") == "run")


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("WANDB_SILENT", "true")


def test_offline_wandb_run_holds_metrics_table_artifact_and_pictures(tmp_path, offline):
    result = search_with_wandb(tmp_path / "run")
    (wandb_dir,) = search_runs(tmp_path / "run")
    found = summarize(wandb_dir)

    assert {"search", "trainer", "model", "data"} <= found["config"]
    history = found["history"]
    assert {"search/best_value", "surrogate/spearman", "surrogate/kendall_tau", "search/children_scored"} <= history
    assert {"candidate/value", "candidate/index"} <= history
    assert {"curves/step_1_table/_type", "curves/step_2_table/_type"} <= history  # one curve chart per step
    assert any(key.startswith("candidates/") for key in history)
    assert float(found["summary"]["test_value"]) == pytest.approx(result.test_value)

    models = [(name, files, aliases) for name, kind, files, aliases in found["artifacts"] if kind == "model"]
    assert len(models) >= 2 and {name for name, _, _ in models} == {"run-model"}  # versions of one artifact
    assert all(aliases == ["best", "latest"] for _, _, aliases in models)  # use_artifact("run-model:best")
    assert models[0][1] == ["best_candidate.pt", "best_genotype.json"]  # the answer as it improves
    assert models[-1][1] == ["best.ckpt", "best_genotype.json"]  # the tested model at the end
    assert any(kind == "run_table" for _, kind, _, _ in found["artifacts"])  # the candidates table

    images = {path.name.split("_")[0] for path in (wandb_dir / "files/media/images/pictures").iterdir()}
    assert {"search", "predicted", "best"} <= images
    increments = [json.loads(path.read_text()) for path in (wandb_dir / "files/media/table").glob("candidates_*.json")]
    assert len(increments) == 2 and all({"cell", "value", "status"} <= set(table["columns"]) for table in increments)
    assert sorted(len(table["data"]) for table in increments) == [3, 4]  # each step's rows, logged once
    columns = increments[0]["columns"]
    rows = [dict(zip(columns, row, strict=True)) for table in increments for row in table["data"]]
    costs = PNASModule(num_classes=10, in_channels=1, num_cells=1, filters=4).cell_costs((1, 8, 8), 2)
    for row in rows:  # the network's multiply-adds, as limits count them; the prediction's spread from step 2
        assert row["macs"] == int(costs.of_cells([Cell.from_string(row["cell"])])["macs"][0]) > 0
        assert (row["predicted_std"] is None) == (row["step"] == 1) and row["on_front"] is None
    assert all(row["predicted_std"] >= 0 for row in rows if row["step"] == 2)
    assert {"candidate/train/loss", "candidate/val/acc", "candidate/val/loss"} <= history  # every metric it logs
    tables = (wandb_dir / "files/media/table").glob("candidate_epochs_*.json")
    epochs = [row for path in tables for row in json.loads(path.read_text())["data"]]
    assert {(row[0], row[3]) for row in epochs} >= {(i, "train/loss") for i in range(1, len(result.candidates) + 1)}
    assert len(epochs) == stored_epochs(tmp_path / "run", result.candidates)  # each metric's epochs, once


def test_wandb_failure_is_reported_once_and_the_search_goes_on(tmp_path, offline, monkeypatch, capsys):
    from pytorch_lightning.loggers import WandbLogger

    def broken(self, *args, **kwargs):
        raise ConnectionError("backend went away")

    monkeypatch.setattr(WandbLogger, "log_metrics", broken)
    result = search_with_wandb(tmp_path / "run")
    err = capsys.readouterr().err
    assert err.count("W&B logging failed (ConnectionError: backend went away)") == 1
    assert len(result.candidates) == 7 and result.test_value is not None
    assert len((tmp_path / "run/candidates.csv").read_text().splitlines()) == 8
    assert (tmp_path / "run/best.ckpt").is_file() and (tmp_path / "run/search_progress.png").is_file()
    import wandb

    assert wandb.run is None  # the run was closed: a later search in this process starts its own


def test_disabled_wandb_writes_nothing(tmp_path, offline):
    search_with_wandb(tmp_path / "run", wandb="disabled")
    assert not (tmp_path / "run/wandb").exists()
    assert (tmp_path / "run/candidates.csv").is_file()


def test_a_pareto_search_logs_its_hypervolume_and_the_front_scatter(tmp_path, offline):
    result = search_with_wandb(tmp_path / "run", objectives=["val/acc", "params"])
    (wandb_dir,) = search_runs(tmp_path / "run")
    history = summarize(wandb_dir)["history"]
    assert {"pareto/hypervolume", "pareto/front_size"} <= history
    assert {"pareto/candidates_table/_type", "pareto/front_table/_type"} <= history
    tables = sorted(
        (wandb_dir / "files/media/table/pareto").glob("front_table_*.table.json"),
        key=lambda p: int(p.name.split("_")[2]),
    )  # the last step's front last
    assert tables and all(member["cell"] in tables[-1].read_text() for member in result.front)
    increments = [json.loads(path.read_text()) for path in (wandb_dir / "files/media/table").glob("candidates_*.json")]
    rows = [dict(zip(table["columns"], row, strict=True)) for table in increments for row in table["data"]]
    last_step = max(row["step"] for row in rows)
    on_front = {row["cell"] for row in rows if row["step"] == last_step and row["on_front"]}
    assert on_front == {member["cell"] for member in result.front} & {r["cell"] for r in rows if r["step"] == last_step}
    assert all(isinstance(row["on_front"], bool) for row in rows)


def test_a_search_stopped_and_resumed_is_one_wandb_run_with_each_candidate_and_step_once(tmp_path, offline):
    from pnas.search import SearchCallback
    from tests.wandb_offline import history_rows

    class StopAfter(SearchCallback):
        def __init__(self, candidates):
            self.left = candidates

        def on_candidate_end(self, search, record, history):
            self.left -= 1
            if self.left == 0:
                raise RuntimeError("stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        search_with_wandb(tmp_path / "run", callbacks=[StopAfter(5)])  # in step 2, after step 1's 3 candidates
    first = json.loads((tmp_path / "run/wandb_run.json").read_text())
    assert first["steps_logged"] == 1
    (interrupted,) = search_runs(tmp_path / "run")
    assert any(kind == "model" for _, kind, _, _ in summarize(interrupted)["artifacts"])  # the answer so far
    result = search_with_wandb(tmp_path / "run")
    assert json.loads((tmp_path / "run/wandb_run.json").read_text()) == {"id": first["id"], "steps_logged": 2}

    runs = search_runs(tmp_path / "run")
    assert len(runs) == 2 and all(run.name.endswith(first["id"]) for run in runs)  # two sessions of one run
    rows = [row for run in runs for row in history_rows(run)]
    indexes = [int(row["candidate/index"]) for row in rows if "candidate/index" in row]
    assert sorted(indexes) == list(range(1, len(result.candidates) + 1))  # each candidate once, numbered as one run
    assert sorted(int(row["search/step"]) for row in rows if "search/step" in row) == [1, 2]


def test_w_and_b_chooses_online_only_where_this_machine_is_logged_in(tmp_path, monkeypatch):
    from pnas.tracking import default_wandb_mode

    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_BASE_URL", raising=False)
    netrc = tmp_path / "netrc"
    monkeypatch.setenv("NETRC", str(netrc))
    assert default_wandb_mode() == "offline"  # no key, no netrc file
    netrc.write_text("machine example.org\n  login user\n  password secret\n")
    netrc.chmod(0o600)
    assert default_wandb_mode() == "offline"  # logged in elsewhere
    netrc.write_text("machine api.wandb.ai\n  login user\n  password 0123456789abcdef\n")
    assert default_wandb_mode() == "online"  # what `wandb login` writes
    monkeypatch.setenv("WANDB_BASE_URL", "https://wandb.example.org")
    assert default_wandb_mode() == "offline"  # a W&B server of its own, not logged in there
    monkeypatch.setenv("WANDB_API_KEY", "0123456789abcdef")
    assert default_wandb_mode() == "online"


def test_logger_false_means_no_wandb_run_and_asking_for_one_as_well_is_refused(tmp_path, offline):
    from pnas.errors import ConfigError

    search_with_wandb(tmp_path / "run", wandb=None, trainer_kwargs={"logger": False})
    assert not (tmp_path / "run/wandb").exists() and (tmp_path / "run/candidates.csv").is_file()
    with pytest.raises(ConfigError, match="logger: false turns W&B off, but tracking.mode: offline asks for a W&B run"):
        search_with_wandb(tmp_path / "other", trainer_kwargs={"logger": False})


def test_the_runs_group_tags_and_project_come_from_the_tracking_settings(tmp_path, offline):
    from pnas.search import Tracking
    from tests.wandb_offline import finished_run

    tracking = Tracking(project="nas-digits", group="sweep-1", tags=("tiny", "digits"))
    search_with_wandb(tmp_path / "run", tracking=tracking)
    (wandb_dir,) = search_runs(tmp_path / "run")
    (run,) = [r.run for r in finished_run(wandb_dir) if r.WhichOneof("record_type") == "run"]
    assert (run.project, run.run_group, list(run.tags)) == ("nas-digits", "sweep-1", ["tiny", "digits"])
    everything = [run_record(path) for path in (tmp_path / "run/wandb").glob("offline-run-*")]
    assert len(everything) == 8  # the search's run and its 7 candidates', all filed alike
    assert {(r.project, r.run_group, tuple(r.tags)) for r in everything} == {
        ("nas-digits", "sweep-1", ("tiny", "digits"))
    }


def stored_epochs(run_dir, records):
    """How many (metric, epoch) values the store holds for the candidates."""
    from pnas.search.run.store import SearchStore

    store = SearchStore(run_dir / "search.sqlite")
    try:
        return sum(len(curve) for record in records for curve in store.lookup(record.step, record.cell)[1].values())
    finally:
        store.close()


def test_each_candidate_logs_every_epoch_live_to_a_run_of_its_own_in_the_searchs_group(tmp_path, offline):
    from tests.wandb_offline import history_rows

    result = search_with_wandb(tmp_path / "run", trainer_kwargs={"max_epochs": 2}, workers=2, num_cpus=1)
    (search_dir,) = search_runs(tmp_path / "run")
    search = run_record(search_dir)
    assert search.job_type == "search" and search.run_group.endswith(search.run_id)
    candidates = [path for path in (tmp_path / "run/wandb").glob("offline-run-*") if path != search_dir]
    assert len(candidates) == len(result.candidates) == 7  # one run each, from this process or the worker's
    runs = {run_record(path).display_name: path for path in candidates}
    assert set(runs) == {record.cell for record in result.candidates}
    for record in result.candidates:
        run = run_record(runs[record.cell])
        assert (run.job_type, run.run_group) == ("candidate", search.run_group)
        rows = history_rows(runs[record.cell])
        assert [json.loads(row["val/acc"]) for row in rows if "val/acc" in row][-1] == pytest.approx(record.value)
        assert sorted(json.loads(row["epoch"]) for row in rows if "train/loss_epoch" in row) == [0, 1]  # each epoch
        summary = summarize(runs[record.cell])["summary"]
        assert json.loads(summary["status"]) == "ok" and float(summary["value"]) == pytest.approx(record.value)


def test_candidate_runs_can_be_turned_off(tmp_path, offline):
    from pnas.search import Tracking

    search_with_wandb(tmp_path / "run", tracking=Tracking(candidate_runs=False))
    assert list((tmp_path / "run/wandb").glob("offline-run-*")) == search_runs(tmp_path / "run")
