"""Tuning runs share surrogate fits: a fit made before on the same inputs is loaded, and predicts the same."""

from __future__ import annotations

import numpy as np

from pnas.benchmark.fit_cache import share_fits
from pnas.search.spaces.nasbench201 import NASBench201Space, nb201_level_cells
from surrogate import LSTMSurrogate, MLPSurrogate

SPACE = NASBench201Space()
CELLS = [SPACE.tokens(cell) for cell in nb201_level_cells(3)[:40:3]]
TARGETS = np.linspace(0.5, 0.9, len(CELLS))


def counted(surrogate, folder):
    """``surrogate`` sharing fits in ``folder``, and the list of the fits it makes itself."""
    made = []
    make = type(surrogate).fit.__get__(surrogate)
    surrogate.fit = lambda *args, **kwargs: made.append(1) or make(*args, **kwargs)
    share_fits(surrogate, folder)
    return surrogate, made


def test_a_fit_on_the_same_inputs_is_loaded_and_predicts_as_the_one_made(tmp_path):
    first, made_by_first = counted(LSTMSurrogate(SPACE.num_inputs, SPACE.num_ops, seed=3, steps=5), tmp_path)
    second, made_by_second = counted(LSTMSurrogate(SPACE.num_inputs, SPACE.num_ops, seed=3, steps=5), tmp_path)
    first.fit(CELLS, TARGETS)
    assert second.fit(CELLS, TARGETS) is second and (len(made_by_first), len(made_by_second)) == (1, 0)
    for made, loaded in zip(first.predict(CELLS), second.predict(CELLS), strict=True):
        np.testing.assert_array_equal(made, loaded)
    assert len(list(tmp_path.iterdir())) == 1  # one stored fit, no partial file left


def test_other_targets_features_settings_or_seeds_make_their_own_fit(tmp_path):
    def made(targets=TARGETS, features=None, **settings):
        settings = {"seed": 0, "steps": 3, **settings}
        surrogate, fits = counted(MLPSurrogate(SPACE.num_inputs, SPACE.num_ops, **settings), tmp_path)
        surrogate.fit(CELLS, targets, features=features)
        return len(fits)

    assert made() == 1 and made() == 0
    assert made(targets=TARGETS[::-1]) == 1
    assert made(features=np.arange(len(CELLS), dtype=float)[:, None]) == 1
    assert made(seed=1) == 1 and made(steps=4) == 1
    assert made() == 0


def test_a_surrogate_that_fine_tunes_from_its_last_fit_is_left_alone(tmp_path):
    surrogate = LSTMSurrogate(SPACE.num_inputs, SPACE.num_ops, warm_start=True)
    share_fits(surrogate, tmp_path)
    assert "fit" not in vars(surrogate)


def test_tuning_with_shared_fits_scores_every_configuration_as_tuning_without(tmp_path, monkeypatch):
    from pnas.benchmark import fit_cache
    from pnas.benchmark.nb201_table import nasbench201_space
    from pnas.benchmark.table import BenchmarkTable
    from pnas.benchmark.tuning import tune, tuning_seeds
    from tests.benchmark.tables import write_table

    table = BenchmarkTable(write_table(tmp_path / "t.csv", ("none", "skip_connect", "nor_conv_3x3")))
    space = nasbench201_space(table)

    def scores(share):
        record = tune(table, "val", space, ["progressive"], [15], tuning_seeds(1), {"surrogate": "mlp"},
                      progress=False, share_surrogate_fits=share)  # fmt: skip
        return record.scores["progressive"]

    loaded = []
    load = fit_cache._load
    monkeypatch.setattr(fit_cache, "_load", lambda path: loaded.append(path) or load(path))
    assert scores(True) == scores(False)
    assert loaded  # the later configurations loaded fits the first one made
