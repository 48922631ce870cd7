"""The ``pnas`` command: LightningCLI subcommands (``fit``, ``search``, ...), ``plot`` and ``benchmark``.

``main(args)`` runs in-process (tests drive it that way); errors that `pnas` raises on purpose are printed as a
single line, without a traceback, and exit with status 2.
"""

from __future__ import annotations

import argparse
import functools
import sqlite3
import sys
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from jsonargparse import lazy_instance
from pytorch_lightning import LightningDataModule, LightningModule
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI
from pytorch_lightning.utilities.exceptions import MisconfigurationException

from pnas.config_files import check_command_line
from pnas.data import DigitsDataModule
from pnas.errors import ConfigError, PNASError, SearchInterrupted
from pnas.module import PNASModule
from pnas.parse_errors import one_line_parse_error
from pnas.search.run.records import SearchResult
from pnas.search.run.run_dir import RunDir
from pnas.search.trainer import SearchTrainer

__all__ = ["PNASCLI", "check_checkpoint_file", "main"]


def _data_attribute(name: str) -> Callable[[Any], Any]:
    """Read ``name`` off the data module for the model; ``None`` when it has none (a model that needs it says so).

    A partial of a module-level function, so that what holds it still pickles for worker processes.
    """
    return functools.partial(_read_attribute, name=name)


def _read_attribute(datamodule: Any, name: str) -> Any:
    return getattr(datamodule, name, None)


class PNASCLI(LightningCLI):
    """LightningCLI for cell networks: any LightningModule (default :class:`PNASModule`) on any LightningDataModule.

    ``--model my_package.MyModule`` picks another module (subclass mode; ``--model.init_args.*`` or plain
    ``--model.*`` set its arguments). Its ``num_classes`` and ``in_channels``, where it has them, are read from the
    data module's attributes of those names; the data module defaults to the digits.
    ``--test_after_fit true`` evaluates the best checkpoint on the test split when ``fit`` ends. ``search`` runs
    :meth:`SearchTrainer.search`, its arguments documented by that method's signature.
    """

    @staticmethod
    def subcommands() -> dict[str, set[str]]:
        """Lightning's subcommands plus ``search``."""
        return {**LightningCLI.subcommands(), "search": {"model", "datamodule", "config", "callbacks"}}

    def search(self, model: LightningModule, datamodule: Any, **kwargs: Any) -> SearchResult:
        """Run the search with the trainer's settings and store this command's full config in the run dir."""
        config = yaml.safe_load(self._parser(self.subcommand).dump(self.config[self.subcommand], skip_none=False))
        result = self.trainer.search(model, datamodule, config=config, **kwargs)
        if result.best_cell is None:
            summary = "no candidate finished: see the status and error columns of candidates.csv"
        else:
            summary = f"best cell: {result.best_cell}\n{result.monitor} {result.best_value:.4f}"
        if result.test_value is not None:
            summary += f", test {result.test_value:.4f}"
        if result.front is not None:
            summary += f"\nPareto front: {len(result.front)} cells, in pareto.csv and pareto/"
        print(f"{summary}\nrecords in {result.run_dir} ({result.seconds:.0f} s)")
        return result

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        """Link the data module's shape to the model, default to PNASModule on digits, add ``--test_after_fit``."""
        parser.add_argument(
            "--test_after_fit", type=bool, default=False, help="After fit, evaluate the best checkpoint on test data."
        )
        for name in ("num_classes", "in_channels"):
            parser.link_arguments(
                "data", f"model.init_args.{name}", compute_fn=_data_attribute(name), apply_on="instantiate"
            )
        parser.set_defaults({"model": lazy_instance(PNASModule), "data": lazy_instance(DigitsDataModule)})

    def parse_arguments(self, parser: LightningArgumentParser, args: Any) -> None:
        """Parse the arguments, then refuse a ``ckpt_path`` that is not a whole checkpoint before it is loaded."""
        super().parse_arguments(parser, args)
        subcommand = self.config.get("subcommand")
        if subcommand:
            check_checkpoint_file(self.config[subcommand].get("ckpt_path"))

    def before_fit(self) -> None:
        """Refuse ``max_epochs: 0``: the network would not be trained, yet tested as if it were.

        Raises:
            ConfigError: ``trainer.max_epochs`` is 0.
        """
        if self.trainer.max_epochs == 0:
            raise ConfigError("max_epochs is 0, so fit would train nothing; set trainer.max_epochs >= 1 (-1: no limit)")

    def after_fit(self) -> None:
        """Run the test split after fitting when ``test_after_fit`` is set."""
        if not self.config[self.subcommand].get("test_after_fit"):
            return
        checkpoint = self.trainer.checkpoint_callback
        ckpt_path = "best" if checkpoint is not None and getattr(checkpoint, "best_model_path", "") else None
        self.trainer.test(self.model, datamodule=self.datamodule, ckpt_path=ckpt_path)


def check_checkpoint_file(ckpt_path: str | Path | None) -> None:
    """Refuse a ``ckpt_path`` file that is missing or not a whole checkpoint (``torch.save``'s zip archive of a pickle).

    Lightning's own names (``best``, ``last``, ...) and remote paths pass unchecked.

    Raises:
        ConfigError: The file is missing, unreadable, cut short or damaged (a member fails its CRC check).
    """
    if ckpt_path is None or str(ckpt_path) in ("best", "last", "hpc", "registry") or "://" in str(ckpt_path):
        return
    path = Path(ckpt_path)
    if not path.is_file():
        raise ConfigError(f"ckpt_path {path} is not a file; give the path of a checkpoint (.ckpt)")
    try:
        with zipfile.ZipFile(path) as archive:
            pickled = any(name.endswith("/data.pkl") or name == "data.pkl" for name in archive.namelist())
            damaged = archive.testzip() if pickled else path.name
    except OSError as error:
        raise ConfigError(f"cannot read ckpt_path {path} ({error.strerror or error})") from None
    except (zipfile.BadZipFile, EOFError, ValueError):
        damaged = path.name
    if damaged is not None:
        raise ConfigError(f"ckpt_path {path} is not a readable checkpoint (damaged, cut short, or another file)")


def plot_command(args: list[str]) -> Path:
    """``pnas plot GENOTYPE [--output FILE] [--title TEXT]``: draw a cell diagram (PNG, SVG or PDF by extension).

    Raises:
        GenotypeError: ``GENOTYPE`` is not a registered name, a genotype JSON file or a cell string.
    """
    from pnas.plots import draw_cell
    from pnas.space import resolve_genotype

    parser = argparse.ArgumentParser(prog="pnas plot", description="Draw a cell genotype as a diagram.")
    parser.add_argument("genotype", help="registered name (e.g. pnasnet5), path to a genotype .json, or cell string")
    parser.add_argument("--output", "-o", help="image file to write (.png, .svg or .pdf); default: GENOTYPE.png")
    parser.add_argument("--title", help="title above the diagram")
    options = parser.parse_args(args)
    cell = resolve_genotype(options.genotype)
    default_name = Path(options.genotype).stem if options.genotype.endswith(".json") else options.genotype
    output = Path(options.output or f"{default_name if default_name.isidentifier() else 'cell'}.png")
    title = options.title or (f"{options.genotype}" if options.genotype.isidentifier() else None)
    try:
        path = draw_cell(cell, output, title=title)
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot write {output}: {error}") from None
    print(f"wrote {path}")
    return path


def main(args: list[str] | None = None) -> None:
    """Entry point of the ``pnas`` command.

    Args:
        args: Command-line arguments; ``None`` reads ``sys.argv``.
    """
    argv = list(sys.argv[1:] if args is None else args)
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)` is deprecated.*")
    try:
        if argv[:1] == ["plot"]:
            plot_command(argv[1:])
            return
        if argv[:1] == ["benchmark"]:
            from pnas.benchmark.cli import benchmark_command

            benchmark_command(argv[1:])
            return
        check_command_line(argv)
        PNASCLI(
            LightningModule,
            LightningDataModule,
            subclass_mode_model=True,
            subclass_mode_data=True,
            auto_configure_optimizers=False,
            trainer_class=SearchTrainer,
            seed_everything_default=0,
            args=args,
            parser_kwargs={
                "exit_on_error": False,  # an argument error comes back here, to be printed as one line
                "description": "Progressive Neural Architecture Search on PyTorch Lightning. "
                "To draw a genotype: pnas plot GENOTYPE [--output FILE]. To compare strategies on a "
                "NAS-Bench-201 table: pnas benchmark --table CSV (see pnas benchmark --help).",
            },
        )
    except SearchInterrupted as interrupted:
        print(f"pnas: {interrupted}", file=sys.stderr)
        print(f"pnas: resume with: pnas search --config {RunDir(interrupted.run_dir).config}", file=sys.stderr)
        raise SystemExit(128 + interrupted.signum) from None
    except KeyboardInterrupt:
        print("pnas: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except argparse.ArgumentError as error:
        command = f"pnas {argv[0]}" if argv and argv[0] in PNASCLI.subcommands() else "pnas"
        print(f"pnas: error: {one_line_parse_error(str(error))} (see {command} --help)", file=sys.stderr)
        raise SystemExit(2) from None
    except Exception as error:
        message = _user_facing(error)
        if message is None:
            raise
        print(f"pnas: error: {message}", file=sys.stderr)
        raise SystemExit(2) from None


#: Failures of the machine or of a file rather than of pnas, shown as one line like pnas's own errors, with a hint.
_ENVIRONMENT_ERRORS = {
    OSError: "check the path, the permissions and the free space",
    sqlite3.Error: "a database file is damaged or held by another program",
    UnicodeDecodeError: "an input file is not UTF-8 text",
    RecursionError: "an input is nested too deeply",
}


def _user_facing(error: BaseException) -> str | None:
    """One line for an error the user can act on: ours, Lightning's misconfiguration, or the disk's; else None.

    An error of the disk counts only as the error itself or as the stated cause of another (``raise ... from``),
    not as the error being handled when another was raised: that one may be a bug, and keeps its traceback.
    """
    cause = _pnas_error(error)
    if cause is not None:
        return str(cause)
    while error is not None:
        for kind, hint in _ENVIRONMENT_ERRORS.items():
            if isinstance(error, kind):
                return f"{type(error).__name__}: {error}".splitlines()[0] + f" ({hint})"
        error = error.__cause__
    return None


def _pnas_error(error: BaseException | None) -> BaseException | None:
    """The user-facing error behind ``error`` (ours, or Lightning's misconfiguration), also when re-raised wrapped."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, (PNASError, MisconfigurationException)):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None
