"""Fault injection: lost and damaged files, full and read-only disks, re-runs; nothing finished is lost or worsened.

Kill -9 at many points and two searches on one run directory are in ``test_resume.py``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from pnas.cli import main
from pnas.search import ProgressiveSearch, SearchCallback, run_search
from tests.conftest import cli_error
from tests.search.cli_searches import (
    DERIVED_FILES,
    ROOT,
    SEARCH,
    digests,
    outcome,
    start_search,
    stored_candidates,
    wait_for,
)
from tests.search.objectives import ObjectiveEvaluator


def csv_cells(run_dir: Path) -> list[tuple[str, str]]:
    with open(run_dir / "candidates.csv", newline="") as handle:
        return [(row["step"], row["cell"]) for row in csv.DictReader(handle)]


def test_a_lost_write_ahead_log_loses_at_most_the_write_in_flight(tmp_path, finished_run, reference):
    run_dir = tmp_path / "run"
    process = start_search(run_dir)
    wait_for(process, run_dir, 4)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    committed, listed = stored_candidates(run_dir), csv_cells(run_dir)
    for suffix in ("-wal", "-shm"):
        Path(f"{run_dir / 'search.sqlite'}{suffix}").unlink(missing_ok=True)
    kept = stored_candidates(run_dir)
    assert kept == committed[: len(kept)] and len(kept) >= len(committed) - 1

    main([*SEARCH, f"--run_dir={run_dir}"])
    assert stored_candidates(run_dir) == reference
    assert set(listed) <= set(csv_cells(run_dir))  # every row the CSV had is still listed
    assert outcome(run_dir) == outcome(finished_run)


def truncate(store: Path) -> None:
    os.truncate(store, store.stat().st_size // 2)


def damage_an_inner_page(store: Path) -> None:
    """Overwrite a page in the middle of the file (not the header page) with garbage."""
    page_size = int.from_bytes(store.read_bytes()[16:18], "big")
    pages = store.stat().st_size // page_size
    with open(store, "r+b") as handle:
        handle.seek(page_size * (pages // 2))
        handle.write(bytes(range(256)) * (page_size // 256))


@pytest.mark.parametrize("damage", [truncate, damage_an_inner_page], ids=["truncated", "inner-page"])
def test_a_damaged_store_is_one_line_that_says_what_to_do_and_nothing_changes(finished_copy, capsys, damage):
    store = finished_copy / "search.sqlite"
    damage(store)
    before = digests(finished_copy)
    err = cli_error(capsys, [*SEARCH, f"--run_dir={finished_copy}"])
    assert len(err.strip().splitlines()) == 1
    assert "nothing was changed or deleted" in err and ".recover" in err and "use another run_dir" in err
    assert digests(finished_copy) == before


def damage(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


#: Side files taken away (or cut short) before a finished search is run again, and what must then be restored.
SIDE_FILE_CASES = {
    "best_candidate.pt missing": ({"best_candidate.pt"}, set()),
    "best_candidate.pt damaged": (set(), {"best_candidate.pt"}),
    "result.json missing": ({"result.json"}, set()),
    "result.json damaged": (set(), {"result.json"}),
    "best.ckpt missing": ({"best.ckpt"}, set()),
    "weights and result missing": ({"best_candidate.pt", "result.json"}, set()),
    "views missing": ({"candidates.csv", "steps.csv", "best_genotype.json", "config.yaml"}, set()),
}


@pytest.mark.parametrize(("removed", "damaged"), SIDE_FILE_CASES.values(), ids=SIDE_FILE_CASES.keys())
def test_a_finished_search_run_again_with_side_files_missing_loses_and_worsens_nothing(
    finished_run, finished_copy, reference, removed, damaged
):
    for name in removed:
        (finished_copy / name).unlink()
    for name in damaged:
        damage(finished_copy / name)
    before = digests(finished_copy)

    main([*SEARCH, f"--run_dir={finished_copy}"])

    assert stored_candidates(finished_copy) == reference  # nothing trained again
    after = digests(finished_copy)
    # config.yaml names the run_dir, so it follows the copy; everything else that was there is as it was
    untouched = {name: digest for name, digest in before.items() if name not in damaged and name != "config.yaml"}
    assert {name: after.get(name) for name in untouched} == untouched
    assert (finished_copy / "config.yaml").is_file()
    for name in DERIVED_FILES:
        assert (finished_copy / name).is_file(), f"{name} is gone"
    for name in ("candidates.csv", "steps.csv", "best_genotype.json"):
        assert (finished_copy / name).read_bytes() == (finished_run / name).read_bytes()
    expected = outcome(finished_run)
    if removed >= {"best_candidate.pt", "result.json"}:  # the test figure went with both; the model stayed
        expected["test_value"] = None
    assert outcome(finished_copy) == expected
    saved = torch.load(finished_copy / "best.ckpt", map_location="cpu", weights_only=False)
    assert saved["hyper_parameters"]["genotype"] == expected["best_cell"]


def test_more_blocks_without_the_kept_weights_keeps_the_model_and_the_test_figure(finished_run, finished_copy):
    (finished_copy / "best_candidate.pt").unlink()
    main([*SEARCH, f"--run_dir={finished_copy}", "--strategy.max_blocks=3"])
    grown, before = outcome(finished_copy), outcome(finished_run)
    assert grown["candidates"] == before["candidates"] + 3
    assert grown["best_cell"].count(";") == 2 and grown["test_value"] is not None  # the answer: a 3-block cell
    saved = torch.load(finished_copy / "best.ckpt", map_location="cpu", weights_only=False)
    assert saved["hyper_parameters"]["genotype"] == grown["best_cell"]


def forget_step_2(run_dir: Path) -> None:
    """Take step 2 out of the store, as a lost ``-wal`` would (its CSV rows stay)."""
    connection = sqlite3.connect(run_dir / "search.sqlite")
    with connection:
        connection.execute("DELETE FROM candidates WHERE step = 2")
        connection.execute("DELETE FROM steps WHERE step = 2")
    connection.close()


class StopAfter(SearchCallback):
    """Interrupt the search at the ``count``-th candidate it takes in (replayed ones included)."""

    def __init__(self, count: int) -> None:
        self.count = count

    def on_candidate_end(self, search, record, history) -> None:
        self.count -= 1
        if self.count == 0:
            raise KeyboardInterrupt


def test_a_replay_cut_short_leaves_the_best_genotype_as_it_was(tmp_path):
    run_search(ProgressiveSearch(max_blocks=3, beam_size=4), ObjectiveEvaluator(3), tmp_path, progress=False)
    best = (tmp_path / "best_genotype.json").read_text()
    assert json.loads((tmp_path / "result.json").read_text())["candidates"] > 136
    with pytest.raises(KeyboardInterrupt):
        evaluator = ObjectiveEvaluator(3)
        run_search(ProgressiveSearch(3, 4), evaluator, tmp_path, progress=False, callbacks=[StopAfter(3)])
    assert evaluator.calls == []
    assert (tmp_path / "best_genotype.json").read_text() == best


def test_a_csv_with_rows_the_store_lacks_is_kept_beside_the_new_one(finished_copy, capsys):
    forget_step_2(finished_copy)
    listed = (finished_copy / "candidates.csv").read_text()
    main([*SEARCH, f"--run_dir={finished_copy}"])
    kept = list(finished_copy.glob("candidates.*.csv"))
    assert len(kept) == 1 and kept[0].read_text() == listed
    assert "listed 3 candidate(s) that the store does not hold" in capsys.readouterr().err


def _can_mount_a_small_disk() -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    probe = "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d && umount $d"
    return subprocess.run(["unshare", "-rm", "sh", "-c", probe], capture_output=True).returncode == 0


needs_a_small_disk = pytest.mark.skipif(
    not _can_mount_a_small_disk(),
    reason="needs a size-limited tmpfs (unshare --user --mount, Linux); this machine does not allow one",
)

#: Copies a run directory onto a tmpfs of its own inside a private mount namespace, makes that disk full or
#: read-only, runs the search there, lets it resume with room to spare, and reports each step back as JSON.
DISK_SCRIPT = r"""
set -u
disk="$1"; source="$2"; report="$3"; mode="$4"; shift 4
mount -t tmpfs -o size=64m tmpfs "$disk"
cp -a "$source" "$disk/run"
digest() { (cd "$disk/run" && find . -type f ! -name .pnas.lock | sort | xargs sha256sum); }
digest > "$report.before"
used=$(df --output=used -k "$disk" | tail -1)
if [ "$mode" = full ]; then mount -o remount,size=$((used + 12))k "$disk"; else mount -o remount,ro "$disk"; fi
"$@" --run_dir="$disk/run" > /dev/null 2> "$report.err"; echo $? > "$report.rc"
digest > "$report.after"
mkdir -p "$report.store" && cp "$disk"/run/search.sqlite* "$report.store/"
mount -o remount,rw,size=64m "$disk"
"$@" --run_dir="$disk/run" > /dev/null 2> "$report.resume_err"; echo $? > "$report.resume_rc"
mkdir -p "$report.resumed" && cp "$disk"/run/search.sqlite* "$report.resumed/"
cp "$disk/run/result.json" "$report.result"
"""


def run_on_a_small_disk(tmp_path: Path, source: Path, mode: str) -> Path:
    (tmp_path / "disk").mkdir()
    report = tmp_path / "report"
    command = [sys.executable, "-m", "pnas", *SEARCH]
    subprocess.run(
        ["unshare", "-rm", "bash", "-c", DISK_SCRIPT, "disk", tmp_path / "disk", source, report, mode, *command],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    return report


def unfinished_copy(finished_run: Path, tmp_path: Path) -> Path:
    """A copy of the finished run as a kill during step 2 leaves it: step 1 stored, step 2 to train."""
    copy = Path(shutil.copytree(finished_run, tmp_path / "unfinished"))
    forget_step_2(copy)
    for name in ("result.json", "best.ckpt"):
        (copy / name).unlink()
    return copy


@needs_a_small_disk
@pytest.mark.parametrize("mode", ["full", "read-only"])
def test_a_full_or_read_only_disk_is_one_line_and_the_resume_completes(tmp_path, finished_run, reference, mode):
    source = unfinished_copy(finished_run, tmp_path)
    before = stored_candidates(source)
    report = run_on_a_small_disk(tmp_path, source, mode)

    err = Path(f"{report}.err").read_text()
    assert Path(f"{report}.rc").read_text().strip() == "2", err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("pnas: error: ")
    assert "run the same command again" in err
    assert stored_candidates(Path(f"{report}.store"))[: len(before)] == before  # nothing finished was lost
    if mode == "read-only":
        assert Path(f"{report}.after").read_text() == Path(f"{report}.before").read_text()

    assert Path(f"{report}.resume_rc").read_text().strip() == "0", Path(f"{report}.resume_err").read_text()
    assert stored_candidates(Path(f"{report}.resumed")) == reference
    result = json.loads(Path(f"{report}.result").read_text())
    assert {k: v for k, v in result.items() if k != "seconds"} == outcome(finished_run)


def test_a_best_ckpt_of_another_cell_is_never_reported_and_is_replaced_by_the_answers(finished_copy, reference):
    checkpoint = finished_copy / "best.ckpt"
    saved = torch.load(checkpoint, map_location="cpu", weights_only=True)
    answer = saved["hyper_parameters"]["genotype"]
    other = next(cell for _, cell, _ in reference if cell != answer)
    saved["hyper_parameters"]["genotype"] = other  # as a full disk can leave it: result.json newer than best.ckpt
    torch.save(saved, checkpoint)
    main([*SEARCH, f"--run_dir={finished_copy}"])
    assert torch.load(checkpoint, map_location="cpu", weights_only=True)["hyper_parameters"]["genotype"] == answer


def test_csv_files_set_aside_in_the_same_second_or_unreadable_are_all_kept(finished_copy, capsys):
    from pnas.search.run.records import RunDirectory

    stored = stored_candidates(finished_copy)
    records = [record for record in _records(finished_copy) if record.step == 1]
    texts = []
    for extra in ("a", "b"):
        text = (finished_copy / "candidates.csv").read_text() if not texts else texts[0]
        text = text.rstrip("\n") + f"\n9,{extra}(c-1) + {extra}(c-2),,0.5,1,0.1,ok,\n"
        (finished_copy / "candidates.csv").write_text(text)
        texts.append(text)
        RunDirectory(finished_copy, records, [])
    (finished_copy / "candidates.csv").write_bytes(b"\xff\xfe not text")
    RunDirectory(finished_copy, records, [])
    kept = sorted(path.read_bytes() for path in finished_copy.glob("candidates.*.csv"))
    assert kept == sorted([texts[0].encode(), texts[1].encode(), b"\xff\xfe not text"])
    assert "could not be read" in capsys.readouterr().err and len(stored) == 8


def _records(run_dir: Path) -> list:
    from pnas.search.run.store import SearchStore

    store = SearchStore(run_dir / "search.sqlite")
    try:
        return store.candidates()
    finally:
        store.close()


@pytest.mark.parametrize("name", ["exp#3", "what?", "p%41"])
def test_a_run_dir_whose_name_sqlite_uris_would_misread_resumes(tmp_path, name):
    run_dir = tmp_path / name
    run_search(
        ProgressiveSearch(max_blocks=2, beam_size=2, initial_cells=4), ObjectiveEvaluator(2), run_dir, progress=False
    )
    evaluator = ObjectiveEvaluator(2)
    run_search(ProgressiveSearch(max_blocks=2, beam_size=2, initial_cells=4), evaluator, run_dir, progress=False)
    assert evaluator.calls == [] and sorted(path.name for path in tmp_path.iterdir()) == [name]


def test_a_store_file_left_empty_by_a_first_run_is_taken_as_new(tmp_path):
    (tmp_path / "search.sqlite").write_bytes(b"")
    result = run_search(
        ProgressiveSearch(max_blocks=1, initial_cells=3), ObjectiveEvaluator(1), tmp_path, progress=False
    )
    assert len(result.candidates) == 3


def test_a_program_reading_the_store_delays_nothing_and_loses_nothing(tmp_path, capsys):
    import time

    from pnas.search.run.records import CandidateRecord
    from pnas.search.run.store import SearchStore

    store = SearchStore(tmp_path / "search.sqlite")
    store.add_candidate(CandidateRecord(1, "a", None, 0.5, 1, 0.1, "ok"), {})
    reader = sqlite3.connect(tmp_path / "search.sqlite")
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM candidates").fetchall()  # a read transaction held open, as a browser does
    start = time.perf_counter()
    for cell in "bc":
        store.add_candidate(CandidateRecord(1, cell, None, 0.5, 1, 0.1, "ok"), {})
    assert time.perf_counter() - start < 1  # a checkpoint that waited for the reader would take 5 s a write
    assert "search.sqlite-wal for now: keep that file" in capsys.readouterr().err
    reader.rollback()
    reader.close()
    store.add_candidate(CandidateRecord(1, "d", None, 0.5, 1, 0.1, "ok"), {})  # the reader let go: all copied
    store.close()
    Path(f"{tmp_path / 'search.sqlite'}-wal").unlink(missing_ok=True)
    assert len(stored_candidates(tmp_path)) == 4
