"""Where a search's Weights & Biases run goes, as one group of settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Tracking"]


@dataclass(frozen=True)
class Tracking:
    """The search's W&B run: its mode, and where it is filed.

    Attributes:
        mode: ``offline`` (written under the run directory; ``wandb sync`` uploads it later), ``online`` or
            ``disabled``. Unset: ``WANDB_MODE`` from the environment, else W&B's own choice (online when this
            machine is logged in, else offline).
        project: The W&B project.
        entity: The W&B user or team (unset: W&B's default for the logged-in user).
        group: The W&B group of the search's runs (unset: the search's name and run id): its own run
            (``job_type="search"``) and each candidate's.
        tags: W&B tags of the runs.
        candidate_runs: Give each candidate a W&B run of its own in the group (``job_type="candidate"``), to which
            every metric its module logs goes live, epoch by epoch, from whichever process trains it.
    """

    mode: Literal["offline", "online", "disabled"] | None = None
    project: str = "pnas"
    entity: str | None = None
    group: str | None = None
    tags: tuple[str, ...] = ()
    candidate_runs: bool = True

    def init_arguments(self) -> dict[str, Any]:
        """The ``wandb.init`` arguments set here besides the mode and the project (entity, group, tags)."""
        given = {"entity": self.entity, "group": self.group, "tags": list(self.tags)}
        return {name: value for name, value in given.items() if value}
