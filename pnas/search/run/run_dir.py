"""A search's run directory as one object: whether a search may use it, its creation, its lock and its files."""

from __future__ import annotations

from pathlib import Path

from pnas.errors import ConfigError
from pnas.search.run import layout
from pnas.search.run.lock import RunDirLock

__all__ = ["RunDir"]


class RunDir:
    """The run directory of one search and the path of each file in it (names from :mod:`pnas.search.run.layout`).

    ``RunDir(path)`` only names the directory, for reading a run's files; :meth:`claim` also checks that a search
    may use it, and :meth:`create` makes it.

    Args:
        path: The directory.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @classmethod
    def claim(cls, path: str | Path) -> RunDir:
        """``path`` as a run directory, when a search may use it: new, empty, or a pnas run directory (it has a store).

        Raises:
            ConfigError: ``path`` is empty text, cannot be read, or is a non-empty directory that holds no pnas
                search (its files are someone else's and are left alone).
        """
        if not str(path).strip():
            raise ConfigError("run_dir is empty; name the directory for the search's records (e.g. runs/search/mine)")
        run_dir = cls(path)
        try:
            foreign = run_dir._foreign_entries()
        except OSError as error:
            raise ConfigError(
                f"cannot read run_dir {run_dir.path} ({error.strerror or error}); choose a readable directory"
            ) from None
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise ConfigError(
                f"run_dir {run_dir.path} is not empty ({shown}) and holds no pnas search; choose a new or empty "
                "directory"
            )
        return run_dir

    def _foreign_entries(self) -> list[str]:
        """The names that make the directory someone else's: none when it is new, empty or a pnas run."""
        if not self.path.is_dir() or self.store.exists():
            return []
        return sorted(entry.name for entry in self.path.iterdir() if entry.name != layout.LOCK)

    def create(self) -> RunDir:
        """Make the directory (and its parents) if missing; return ``self``.

        Raises:
            ConfigError: It cannot be created.
        """
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(f"cannot create run_dir {self.path}: {error.strerror or error}") from None
        return self

    def lock(self) -> RunDirLock:
        """The exclusive lock one search holds on the directory (a context manager)."""
        return RunDirLock(self.path)

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    @property
    def store(self) -> Path:
        """The SQLite store of every candidate and step."""
        return self.path / layout.STORE

    @property
    def config(self) -> Path:
        """The search's settings; ``pnas search --config`` with it resumes the search."""
        return self.path / layout.CONFIG

    @property
    def candidates(self) -> Path:
        """One row per evaluated candidate."""
        return self.path / layout.CANDIDATES

    @property
    def steps(self) -> Path:
        """One row per step."""
        return self.path / layout.STEPS

    @property
    def result(self) -> Path:
        """The answer and its figures."""
        return self.path / layout.RESULT

    @property
    def best_genotype(self) -> Path:
        """The answer as a genotype."""
        return self.path / layout.BEST_GENOTYPE

    @property
    def best_checkpoint(self) -> Path:
        """The answer's trained model."""
        return self.path / layout.BEST_CHECKPOINT

    @property
    def best_weights(self) -> Path:
        """The best candidates' weights, kept while the search runs."""
        return self.path / layout.BEST_WEIGHTS

    @property
    def latencies(self) -> Path:
        """Latencies measured under a latency limit."""
        return self.path / layout.LATENCIES

    @property
    def rungs(self) -> Path:
        """The folder of the candidates' training states between rungs of successive halving."""
        return self.path / layout.RUNGS

    @property
    def wandb_run(self) -> Path:
        """The search's W&B run id and the steps logged to it."""
        return self.path / layout.WANDB_RUN

    @property
    def progress_picture(self) -> Path:
        """The best metric against candidates trained."""
        return self.path / layout.PROGRESS_PICTURE

    @property
    def predicted_vs_actual_picture(self) -> Path:
        """The surrogate's predictions against the trained candidates' metric."""
        return self.path / layout.PREDICTED_VS_ACTUAL_PICTURE

    @property
    def best_cell_picture(self) -> Path:
        """The answer's cell, drawn."""
        return self.path / layout.BEST_CELL_PICTURE

    @property
    def pareto_table(self) -> Path:
        """Pareto mode's front as a table."""
        return self.path / layout.PARETO_TABLE

    @property
    def pareto_json(self) -> Path:
        """Pareto mode's front, summarised."""
        return self.path / layout.PARETO_JSON

    @property
    def pareto_picture(self) -> Path:
        """Pareto mode's front, drawn."""
        return self.path / layout.PARETO_PICTURE

    @property
    def pareto_folder(self) -> Path:
        """The genotypes of Pareto mode's front, one file each."""
        return self.path / layout.PARETO_FOLDER
