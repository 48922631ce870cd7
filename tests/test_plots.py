from __future__ import annotations

import pytest
from PIL import Image

from pnas.cli import main
from pnas.plots import draw_cell, plot_predicted_vs_actual, plot_search_progress
from pnas.search import CandidateRecord
from pnas.space import GENOTYPES, save_genotype
from tests.conftest import random_cell


def records(rng) -> list[CandidateRecord]:
    rows = []
    for step, count in ((1, 10), (2, 5), (3, 5)):
        for _ in range(count):
            cell = random_cell(rng, step)
            predicted = None if step == 1 else rng.uniform(0.8, 0.95)
            rows.append(CandidateRecord(step, str(cell), predicted, rng.uniform(0.8, 0.99), 1000, 1.0, "ok"))
    rows.append(CandidateRecord(3, "failed cell", 0.9, None, None, 0.5, "failed", "boom"))
    return rows


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_draw_cell_writes_an_image(tmp_path, rng, suffix):
    for cell in (GENOTYPES["pnasnet5"], random_cell(rng, 1), random_cell(rng, 3)):
        path = draw_cell(cell, tmp_path / f"cell{cell.num_blocks}{suffix}")
        assert path.stat().st_size > 1000
    if suffix == ".png":
        width, height = Image.open(path).size
        assert width > 600 and height > 200


def test_progress_and_scatter_plots(tmp_path, rng):
    rows = records(rng)
    progress = plot_search_progress(rows, tmp_path / "progress.png")
    scatter = plot_predicted_vs_actual(rows, tmp_path / "scatter.png")
    assert Image.open(progress).size[0] > 600 and Image.open(scatter).size[0] > 600
    empty = plot_predicted_vs_actual(rows[:10], tmp_path / "empty.png")  # step 1 only: nothing predicted yet
    assert empty.is_file()


def test_pnas_plot_command(tmp_path, capsys):
    main(["plot", "pnasnet5", "--output", str(tmp_path / "p5.png")])
    assert (tmp_path / "p5.png").is_file() and "wrote" in capsys.readouterr().out
    path = save_genotype(GENOTYPES["pnasnet5"], tmp_path / "found.json")
    main(["plot", str(path)])
    assert (tmp_path / "found.png").is_file()  # tests run in tmp_path
    with pytest.raises(SystemExit) as exit_info:
        main(["plot", "warp(c-1) + identity(c-2)"])
    assert exit_info.value.code == 2
    assert "pnas: error: unknown operation 'warp'" in capsys.readouterr().err
    for bad_output in ("/dev/null/cell.png", str(tmp_path / "cell.unknown-format")):
        with pytest.raises(SystemExit):
            main(["plot", "pnasnet5", "--output", bad_output])
        err = capsys.readouterr().err
        assert err.startswith(f"pnas: error: cannot write {bad_output}") and "Traceback" not in err
