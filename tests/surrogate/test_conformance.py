"""The conformance suite: what every entry of ``surrogate.SURROGATES`` must do, tested on synthetic cells."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

from surrogate import SURROGATES
from tests.surrogate.synthetic import NUM_INPUTS, NUM_OPS, parameter_count, random_cells, synthetic_accuracy

#: Constructor options that keep each surrogate's fits short.
FAST_OPTIONS = {
    "lstm": {"steps": 40},
    "mlp": {"steps": 40},
    "forest": {"num_trees": 30},
    "blend": {"steps": 40, "num_trees": 30},
}


@pytest.fixture(params=sorted(SURROGATES), ids=str)
def surrogate_class(request):
    return SURROGATES[request.param]


@pytest.fixture
def fast(surrogate_class):
    name = next(name for name, cls in SURROGATES.items() if cls is surrogate_class)
    return FAST_OPTIONS.get(name, {})


@pytest.fixture(scope="module")
def cells_and_targets():
    rng = np.random.default_rng(0)
    cells = random_cells(rng, 260, max_blocks=4)
    return cells, synthetic_accuracy(cells)


def test_same_seed_same_predictions_other_seed_other_predictions(surrogate_class, fast, cells_and_targets):
    cells, targets = cells_and_targets
    train, test = cells[:80], cells[200:]

    def predictions(seed: int) -> np.ndarray:
        return surrogate_class(NUM_INPUTS, NUM_OPS, seed=seed, **fast).fit(train, targets[:80]).predict(test)[0]

    np.testing.assert_array_equal(predictions(3), predictions(3))
    assert not np.array_equal(predictions(3), predictions(4))


def test_cells_of_mixed_lengths_in_one_call_match_separate_calls(surrogate_class, fast, cells_and_targets):
    cells, targets = cells_and_targets
    model = surrogate_class(NUM_INPUTS, NUM_OPS, seed=0, **fast).fit(cells[:80], targets[:80])
    mixed = cells[200:240]
    assert {len(cell) for cell in mixed} == {1, 2, 3, 4}
    together, spread = model.predict(mixed)
    apart = np.concatenate([model.predict([cell])[0] for cell in mixed])
    np.testing.assert_allclose(together, apart, rtol=1e-4, atol=1e-5)
    assert together.shape == spread.shape == (40,) and np.all(spread >= 0) and np.all((together > 0) & (together < 1))


@pytest.mark.parametrize("count", [1, 2, 7])
def test_fits_on_fewer_than_ten_cells(surrogate_class, fast, cells_and_targets, count):
    cells, targets = cells_and_targets
    mean, std = surrogate_class(NUM_INPUTS, NUM_OPS, seed=0, **fast).fit(cells[:count], targets[:count]).predict(cells)
    assert mean.shape == std.shape == (len(cells),) and np.all(np.isfinite(mean)) and np.all(np.isfinite(std))


def test_ranks_held_out_cells_better_than_parameter_count(surrogate_class, cells_and_targets):
    cells, targets = cells_and_targets
    model = surrogate_class(NUM_INPUTS, NUM_OPS, seed=0).fit(cells[:200], targets[:200])
    ours = kendalltau(model.predict(cells[200:])[0], targets[200:])[0]
    baseline = kendalltau(parameter_count(cells[200:]), targets[200:])[0]
    assert ours > baseline + 0.2, (ours, baseline)


def test_predict_before_fit_is_a_clear_error(surrogate_class):
    with pytest.raises(RuntimeError, match="predict called before fit"):
        surrogate_class(NUM_INPUTS, NUM_OPS).predict([[(0, 0, 1, 1)]])


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ([0.5, float("nan")], "found NaN or infinity"),
        ([0.5, float("inf")], "found NaN or infinity"),
        ([93.5, 80.0], "fractions, not percentages"),
        ([-0.1, 0.5], "fractions, not percentages"),
        ([0.5], "got 2 cells but 1 targets"),
        ([0.5, 0.6, 0.7], "got 2 cells but 3 targets"),
    ],
)
def test_bad_targets_are_one_line_value_errors(surrogate_class, fast, targets, message):
    with pytest.raises(ValueError, match=message) as error:
        surrogate_class(NUM_INPUTS, NUM_OPS, **fast).fit([[(0, 0, 1, 1)], [(1, 2, 1, 3)]], targets)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ([[(0, 0, NUM_INPUTS, 1)]], rf"inputs must be in 0..{NUM_INPUTS - 1}"),
        ([[(0, NUM_OPS, 1, 1)]], rf"ops must be in 0..{NUM_OPS - 1}"),
        ([[]], "no blocks"),
        ([[(0, 0, 1)]], "4 integers"),
    ],
)
def test_bad_cells_are_one_line_value_errors(surrogate_class, fast, cells, message):
    with pytest.raises(ValueError, match=message) as error:
        surrogate_class(NUM_INPUTS, NUM_OPS, **fast).fit(cells, [0.5])
    assert "\n" not in str(error.value)


def test_side_features_are_used_and_then_required(surrogate_class, cells_and_targets):
    cells, _ = cells_and_targets
    rng = np.random.default_rng(1)
    hidden = rng.uniform(0, 1, len(cells))  # the target depends on a side feature the cells do not show
    targets = 0.5 + 0.4 * hidden
    model = surrogate_class(NUM_INPUTS, NUM_OPS, seed=0).fit(cells[:200], targets[:200], features=hidden[:200])
    predicted = model.predict(cells[200:], features=hidden[200:])[0]
    assert kendalltau(predicted, targets[200:])[0] > 0.7
    with pytest.raises(ValueError, match="pass features= to predict"):
        model.predict(cells[200:])
    with pytest.raises(ValueError, match="one row per cell"):
        model.predict(cells[200:], features=hidden[:3])
    with pytest.raises(ValueError, match="features must be finite"):
        model.fit(cells[:2], targets[:2], features=[0.1, float("nan")])
    with pytest.raises(ValueError, match="fractions, not percentages"):
        model.fit(cells[:2], [50.0, 60.0], features=[0.1, 0.2])
    np.testing.assert_array_equal(model.predict(cells[200:], features=hidden[200:])[0], predicted)  # untouched
