"""The ``pnas`` command: LightningCLI with ``fit``, ``validate``, ``test``, ``predict`` and ``search``.

``main(args)`` runs in-process (tests drive it that way); errors that `pnas` raises on purpose are printed as a
single line, without a traceback, and exit with status 2.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import Any

import yaml
from jsonargparse import lazy_instance
from pytorch_lightning import LightningDataModule
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI

from pnas.data import DigitsDataModule
from pnas.errors import PNASError
from pnas.module import PNASModule
from pnas.search import SearchResult, SearchTrainer

__all__ = ["PNASCLI", "main"]


def _data_attribute(name: str) -> Callable[[Any], Any]:
    def read(datamodule: Any) -> Any:
        if not hasattr(datamodule, name):
            raise PNASError(
                f"data module {type(datamodule).__name__} has no '{name}' attribute; "
                f"give it one (the model's {name} is read from it)"
            )
        return getattr(datamodule, name)

    return read


class PNASCLI(LightningCLI):
    """LightningCLI for cell networks: ``model`` is a :class:`PNASModule`, ``data`` any LightningDataModule.

    The model's ``num_classes`` and ``in_channels`` are read from the data module's attributes of those names.
    ``--test_after_fit true`` evaluates the best checkpoint on the test split when ``fit`` ends. ``search`` runs
    :meth:`SearchTrainer.search`, its arguments documented by that method's signature.
    """

    @staticmethod
    def subcommands() -> dict[str, set[str]]:
        """Lightning's subcommands plus ``search``."""
        return {**LightningCLI.subcommands(), "search": {"model", "datamodule", "config"}}

    def search(self, model: PNASModule, datamodule: Any, **kwargs: Any) -> SearchResult:
        """Run the search with the trainer's settings and store this command's full config in the run dir."""
        config = yaml.safe_load(self._parser(self.subcommand).dump(self.config[self.subcommand], skip_none=False))
        result = self.trainer.search(model, datamodule, config=config, **kwargs)
        summary = f"best cell: {result.best_cell}\nvalidation accuracy {result.best_val_acc:.4f}"
        if result.test_acc is not None:
            summary += f", test accuracy {result.test_acc:.4f}"
        print(f"{summary}\nrecords in {result.run_dir} ({result.seconds:.0f} s)")
        return result

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        """Link the data module's shape to the model, default to digits, add ``--test_after_fit``."""
        parser.add_argument(
            "--test_after_fit", type=bool, default=False, help="After fit, evaluate the best checkpoint on test data."
        )
        for name in ("num_classes", "in_channels"):
            parser.link_arguments("data", f"model.{name}", compute_fn=_data_attribute(name), apply_on="instantiate")
        parser.set_defaults({"data": lazy_instance(DigitsDataModule)})

    def after_fit(self) -> None:
        """Run the test split after fitting when ``test_after_fit`` is set."""
        if not self.config[self.subcommand].get("test_after_fit"):
            return
        checkpoint = self.trainer.checkpoint_callback
        ckpt_path = "best" if checkpoint is not None and getattr(checkpoint, "best_model_path", "") else None
        self.trainer.test(self.model, datamodule=self.datamodule, ckpt_path=ckpt_path)


def main(args: list[str] | None = None) -> None:
    """Entry point of the ``pnas`` command.

    Args:
        args: Command-line arguments; ``None`` reads ``sys.argv``.
    """
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)` is deprecated.*")
    try:
        PNASCLI(
            PNASModule,
            LightningDataModule,
            subclass_mode_data=True,
            auto_configure_optimizers=False,
            trainer_class=SearchTrainer,
            seed_everything_default=0,
            args=args,
            parser_kwargs={"description": "Progressive Neural Architecture Search on PyTorch Lightning."},
        )
    except PNASError as error:
        print(f"pnas: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
