"""The results store: every evaluated candidate and every step of a search, in SQLite, committed as it happens.

The store is what makes a search resumable. A re-run with the same run directory replays the strategy from the
stored results (the strategy is deterministic given its seed and the accuracies it observes), so no finished
candidate is trained again and the search continues exactly where it stopped.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pnas.errors import ConfigError, StoreError
from pnas.search.run.records import CandidateRecord, StepReport

__all__ = ["SCHEMA", "SearchStore"]

SCHEMA = "pnas-search/1"

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS candidates (
    id INTEGER PRIMARY KEY,
    step INTEGER NOT NULL,
    cell TEXT NOT NULL,
    predicted_acc REAL,
    val_acc REAL,
    parameters INTEGER,
    train_seconds REAL NOT NULL,
    status TEXT NOT NULL,
    error TEXT NOT NULL,
    history TEXT NOT NULL,
    UNIQUE (step, cell)
);
CREATE TABLE IF NOT EXISTS steps (step INTEGER PRIMARY KEY, report TEXT NOT NULL, state TEXT NOT NULL);
"""
#: The candidates table's columns, in the order of :class:`CandidateRecord`'s fields. The table keeps the names the
#: first store format gave them (``predicted_acc``, ``val_acc``: the monitored value), so every store stays readable.
_CANDIDATE_COLUMNS = ["step", "cell", "predicted_acc", "val_acc", "parameters", "train_seconds", "status", "error"]
#: Step-report keys of earlier releases, and their names now.
_RENAMED_STEP_KEYS = {"best_val_acc": "best_value"}


def _damaged(path: Path, problem: str) -> StoreError:
    return StoreError(
        f"{path} {problem}; nothing was changed or deleted. To keep this search, restore the file from a backup "
        f"or salvage it (sqlite3 {path} .recover | sqlite3 recovered.sqlite); to start afresh, use another run_dir"
    )


def _read_only_uri(path: Path) -> str:
    """An SQLite URI that opens ``path`` read-only, whatever characters (``#``, ``?``, ``%``) its name holds."""
    return f"{path.resolve().as_uri()}?mode=ro"


def _check_existing(path: Path) -> None:
    """Read an existing file without writing to it; refuse anything but an intact pnas store.

    Every page is read (``PRAGMA quick_check``), so a damaged inner page is found here and not halfway through.
    A file without any table (a first run stopped before its first commit) is taken as a new store.
    """
    try:
        connection = sqlite3.connect(_read_only_uri(path), uri=True)
        try:
            problems = [row[0] for row in connection.execute("PRAGMA quick_check").fetchall()]
            if problems != ["ok"]:
                raise _damaged(path, f"is damaged ({problems[0]})")
            if connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
                return
            row = connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            connection.execute("SELECT count(*) FROM candidates").fetchone()
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise _damaged(path, f"is not a readable pnas search store ({error})") from None
    if row is None or row[0] != SCHEMA:
        found = row[0] if row else "none"
        raise _damaged(path, f"has schema {found!r}, expected {SCHEMA!r}")


#: SQLite result codes that mean the disk (full, read-only, failing, gone), by their names' prefixes.
_DISK_ERRORS = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")
#: SQLite result codes that mean another program holds the file.
_BUSY_ERRORS = ("SQLITE_BUSY", "SQLITE_LOCKED")
#: SQLite result codes that mean the file is damaged.
_DAMAGE_ERRORS = ("SQLITE_CORRUPT", "SQLITE_NOTADB")


def _differences(stored: Any, current: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """The leaves where two JSON values differ, as ``(dotted key, stored value, current value)``."""
    if isinstance(stored, dict) and isinstance(current, dict):
        found = []
        for key in sorted(set(stored) | set(current)):
            if stored.get(key) != current.get(key):
                found += _differences(stored.get(key), current.get(key), f"{path}.{key}" if path else key)
        return found
    return [(path, stored, current)]


class SearchStore:
    """SQLite (WAL) file holding a search's candidates, steps and configuration fingerprint.

    Every candidate and step is committed, then checkpointed into the database file, so a lost ``-wal`` file costs
    at most the write in flight. Errors of SQLite and of the disk become a :class:`StoreError` that says what to do.

    Args:
        path: The database file; created when missing. An existing file that is damaged or is not a pnas store
            raises :class:`StoreError` and is not modified.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._warned = False
        if self.path.exists():
            _check_existing(self.path)
        try:
            self.connection = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as error:
            raise self._write_error(error) from None
        try:
            with self._writing():
                self.connection.execute("PRAGMA journal_mode=WAL")
                self.connection.execute("PRAGMA synchronous=FULL")
                self.connection.execute("BEGIN")  # tables and schema mark appear together, or not at all
                for statement in filter(str.strip, _TABLES.split(";")):
                    self.connection.execute(statement)
                self.connection.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA,))
                self.connection.execute("COMMIT")
                self._checkpoint()
            with self._reading():
                loaded = self._load()
        except BaseException:
            self.connection.close()
            raise
        self._candidates = {(record.step, record.cell): (record, history) for record, history in loaded}

    def _write_error(self, error: BaseException) -> StoreError:
        return StoreError(
            f"cannot write the results store {self.path} ({error}); every result committed so far is kept: "
            "make the disk writable (or free space) and run the same command again to resume"
        )

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Turn a write's disk, lock and damage errors into a :class:`StoreError` that says what to do.

        Other SQLite errors (a broken constraint, a misuse) are bugs and propagate as they are.
        """
        try:
            yield
        except (sqlite3.Error, OSError) as error:
            if self.connection.in_transaction:
                try:
                    self.connection.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            name = getattr(error, "sqlite_errorname", "") or ""
            if name.startswith(_BUSY_ERRORS):
                raise StoreError(
                    f"{self.path} is held by another program ({error}); every result committed so far is kept: "
                    "close the program that has it open (an sqlite3 shell, a database browser) and run the same "
                    "command again to resume"
                ) from None
            if name.startswith(_DAMAGE_ERRORS) or type(error) is sqlite3.DatabaseError:
                raise _damaged(self.path, f"is damaged ({error})") from None
            if isinstance(error, OSError) or name.startswith(_DISK_ERRORS) or type(error) is sqlite3.OperationalError:
                raise self._write_error(error) from None
            raise

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Turn SQLite and decoding errors of a read into a :class:`StoreError`."""
        try:
            yield
        except (sqlite3.Error, ValueError, TypeError) as error:
            raise _damaged(self.path, f"cannot be read ({type(error).__name__}: {error})") from None

    def _checkpoint(self) -> None:
        """Copy the write-ahead log into the database file, so losing the ``-wal`` file loses nothing committed.

        Passive: it never waits. While another program reads the store the copy can stay incomplete; the next
        write tries again, and stderr says once that the ``-wal`` file then holds results of its own.
        """
        busy, logged, copied = self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if (busy or copied < logged) and not self._warned:
            self._warned = True
            print(
                f"pnas: another program is reading {self.path}, so recent results are only in "
                f"{self.path.name}-wal for now: keep that file with the store",
                file=sys.stderr,
            )

    def close(self) -> None:
        """Close the database connection."""
        self.connection.close()

    def check_fingerprint(self, fingerprint: dict[str, Any]) -> None:
        """Store ``fingerprint`` on first use; afterwards refuse a different one.

        Raises:
            ConfigError: The store was written by a search with other settings; the message names them.
        """
        text = json.dumps(fingerprint, sort_keys=True, default=str)
        with self._reading():
            row = self.connection.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
            stored = json.loads(row[0]) if row is not None else None
        if row is None:
            with self._writing(), self.connection:
                self.connection.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (text,))
            return
        current = json.loads(text)
        if stored != current:
            changes = "; ".join(f"{key}: {old!r} -> {new!r}" for key, old, new in _differences(stored, current))
            raise ConfigError(
                f"{self.path.parent} holds a search with other settings ({changes}); "
                "resume with the same settings or choose another run_dir"
            )

    def check_num_steps(self, num_steps: int | None) -> None:
        """Record the search's number of steps; refuse fewer than recorded (more extend the search).

        Raises:
            ConfigError: ``num_steps`` is smaller than the stored search's (e.g. a smaller ``max_blocks``).
        """
        if num_steps is None:
            return
        with self._reading():
            row = self.connection.execute("SELECT value FROM meta WHERE key = 'num_steps'").fetchone()
            row = (int(row[0]),) if row is not None else None
        if row is not None and num_steps < row[0]:
            raise ConfigError(
                f"{self.path.parent} holds a search of {row[0]} steps (max_blocks {row[0]}), and this one has "
                f"{num_steps}; a resumed search may have more steps, not fewer: keep max_blocks >= {row[0]} or "
                "choose another run_dir"
            )
        if row is None or num_steps > row[0]:
            with self._writing(), self.connection:
                self.connection.execute("INSERT OR REPLACE INTO meta VALUES ('num_steps', ?)", (str(num_steps),))

    def _load(self) -> list[tuple[CandidateRecord, dict[str, list[float]]]]:
        rows = self.connection.execute(
            f"SELECT {', '.join(_CANDIDATE_COLUMNS)}, history FROM candidates ORDER BY id"
        ).fetchall()
        return [(CandidateRecord(*row[:-1]), json.loads(row[-1])) for row in rows]

    def candidates(self) -> list[CandidateRecord]:
        """Every stored candidate, in the order they were evaluated."""
        return [record for record, _ in self._candidates.values()]

    def lookup(self, step: int, cell: str) -> tuple[CandidateRecord, dict[str, list[float]]] | None:
        """The stored result of ``cell`` at ``step`` with its curves, or ``None``."""
        return self._candidates.get((step, cell))

    def add_candidate(self, record: CandidateRecord, history: dict[str, list[float]]) -> None:
        """Commit one evaluated candidate."""
        values = [*asdict(record).values(), json.dumps(history)]
        with self._writing():
            with self.connection:
                self.connection.execute(
                    f"INSERT INTO candidates ({', '.join(_CANDIDATE_COLUMNS)}, history) "
                    f"VALUES ({', '.join('?' * len(values))})",
                    values,
                )
            self._checkpoint()
        self._candidates[(record.step, record.cell)] = (record, history)

    def add_step(self, report: StepReport, state: dict[str, Any]) -> None:
        """Commit a finished step: its report and the strategy state it left (e.g. the beam)."""
        with self._writing():
            with self.connection:
                self.connection.execute(
                    "INSERT OR REPLACE INTO steps VALUES (?, ?, ?)",
                    (report.step, json.dumps(asdict(report)), json.dumps(state)),
                )
            self._checkpoint()

    def steps(self) -> list[StepReport]:
        """Every recorded step report, in order."""
        with self._reading():
            rows = self.connection.execute("SELECT report FROM steps ORDER BY step").fetchall()
            return [_step_report(json.loads(row[0])) for row in rows]


def _step_report(data: dict[str, Any]) -> StepReport:
    """A stored step report, its keys renamed where an earlier release named them otherwise."""
    return StepReport(**{_RENAMED_STEP_KEYS.get(key, key): value for key, value in data.items()})
