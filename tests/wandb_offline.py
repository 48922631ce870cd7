"""Read the records of an offline W&B run (``run-*.wandb``) back, without any network."""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator
from pathlib import Path

from wandb.proto import wandb_internal_pb2

_BLOCK = 32 * 1024
_HEADER = 7  # ':W&B', a 2-byte magic number and a version byte
_FULL, _LAST = 1, 4


def read_records(path: Path) -> Iterator[wandb_internal_pb2.Record]:
    """Yield every record of a ``.wandb`` file (a LevelDB-style log of protobuf records)."""
    data = path.read_bytes()
    assert data[:4] == b":W&B", f"{path} is not a W&B run file"
    position, pending = _HEADER, b""
    while position + 7 <= len(data):
        room = _BLOCK - position % _BLOCK
        if room < 7:  # block trailer padding
            position += room
            continue
        _, length, kind = struct.unpack("<IHB", data[position : position + 7])
        pending += data[position + 7 : position + 7 + length]
        position += 7 + length
        if kind in (_FULL, _LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            pending = b""
            yield record


def finished_run(run_dir: Path, timeout: float = 30.0) -> list[wandb_internal_pb2.Record]:
    """Every record of the finished offline run in ``run_dir``, once W&B has written them all.

    ``run.finish()`` returns before W&B's service process has written the run's last records (its artifacts, its
    summary), so the file is read again until it holds the run's ``exit`` record.
    """
    (run_file,) = run_dir.glob("run-*.wandb")
    deadline = time.monotonic() + timeout
    while True:
        records = list(read_records(run_file))
        if any(record.WhichOneof("record_type") == "exit" for record in records):
            return records
        assert time.monotonic() < deadline, f"{run_file} has no exit record after {timeout} s: the run never finished"
        time.sleep(0.05)


def summarize(run_dir: Path) -> dict:
    """Config keys, history keys, summary keys and artifacts (name, type, files, aliases) of the offline run."""
    found: dict = {"config": set(), "history": set(), "summary": {}, "artifacts": []}
    for record in finished_run(run_dir):
        kind = record.WhichOneof("record_type")
        if kind in ("config", "run"):  # an update wandb takes in before it writes the run rides in the run record
            updates = record.config.update if kind == "config" else record.run.config.update
            found["config"] |= {item.key or next(iter(item.nested_key), "") for item in updates}  # merged: nested
        elif kind == "history":
            found["history"] |= {item.key or "/".join(item.nested_key) for item in record.history.item}
        elif kind == "summary":
            found["summary"].update(
                {item.key or "/".join(item.nested_key): item.value_json for item in record.summary.update}
            )
        elif kind == "artifact":
            files = sorted(entry.path for entry in record.artifact.manifest.contents)
            artifact = record.artifact
            found["artifacts"].append((artifact.name, artifact.type, files, sorted(artifact.aliases)))
    return found


def history_rows(run_dir: Path) -> list[dict[str, str]]:
    """Every ``log`` call of the offline run, in order: its keys and their values as JSON text."""
    return [
        {item.key or "/".join(item.nested_key): item.value_json for item in record.history.item}
        for record in finished_run(run_dir)
        if record.WhichOneof("record_type") == "history"
    ]
