"""The search's pictures as a callback: progress, predicted against measured, and the best cell, after every step."""

from __future__ import annotations

import sys

from pnas.plots import draw_cell, plot_predicted_vs_actual, plot_search_progress
from pnas.search.callbacks.base import SearchCallback
from pnas.search.run.records import SearchResult, StepReport
from pnas.search.run.run_dir import RunDir
from pnas.space import Cell

__all__ = ["SearchPictures"]


class SearchPictures(SearchCallback):
    """Redraw ``search_progress.png``, ``predicted_vs_actual.png`` and ``best_cell.png`` after every step.

    The files are listed in ``search.pictures`` for the callbacks that follow (W&B logs them).
    """

    def on_step_end(self, search: SearchResult, report: StepReport) -> None:
        """Draw the pictures of the search so far into the run directory; a failed write only skips them."""
        try:
            self._draw(search)
        except OSError as error:  # a full or read-only disk: the records matter, the pictures can wait
            print(f"pnas: could not draw the pictures ({error.strerror or error}); the search goes on", file=sys.stderr)

    def _draw(self, search: SearchResult) -> None:
        files, records = RunDir(search.run_dir), search.candidates
        metric = "validation accuracy" if search.monitor == "val/acc" else search.monitor
        progress = plot_search_progress(records, files.progress_picture, metric, search.mode)
        predicted = plot_predicted_vs_actual(records, files.predicted_vs_actual_picture, metric)
        search.pictures.update(search_progress=progress, predicted_vs_actual=predicted)
        best = search.best_cell
        if isinstance(best, Cell):
            title = f"best cell: {best.num_blocks} blocks"
            search.pictures["best_cell"] = draw_cell(best, files.best_cell_picture, title=title)
