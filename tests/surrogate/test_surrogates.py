"""Conformance tests every surrogate must pass, on a synthetic target with a known ranking."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from surrogate import CellTokens, EnsembleSurrogate, LSTMSurrogate, MLPSurrogate, encode_cells

SURROGATES = [LSTMSurrogate, MLPSurrogate]
NUM_INPUTS, NUM_OPS = 6, 8


def random_cells(rng: np.random.Generator, count: int, max_blocks: int) -> list[list[tuple[int, int, int, int]]]:
    cells = []
    for _ in range(count):
        length = int(rng.integers(1, max_blocks + 1))
        cells.append(
            [
                (
                    int(rng.integers(0, b + 2)),
                    int(rng.integers(NUM_OPS)),
                    int(rng.integers(0, b + 2)),
                    int(rng.integers(NUM_OPS)),
                )
                for b in range(length)
            ]
        )
    return cells


def synthetic_accuracy(cells, seed: int = 1) -> np.ndarray:
    """An additive 'accuracy' in [0.6, 0.9]: each op and input has a hidden quality, averaged over the cell."""
    rng = np.random.default_rng(seed)
    op_quality, input_quality = rng.normal(size=NUM_OPS), 0.5 * rng.normal(size=NUM_INPUTS)
    scores = [
        np.mean([op_quality[o1] + op_quality[o2] + input_quality[i1] + input_quality[i2] for i1, o1, i2, o2 in cell])
        for cell in cells
    ]
    return 0.6 + 0.3 / (1 + np.exp(-np.array(scores)))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    train = random_cells(rng, 300, max_blocks=3)
    held_out = random_cells(rng, 300, max_blocks=4)  # includes cells longer than any seen in fitting
    return train, synthetic_accuracy(train), held_out, synthetic_accuracy(held_out)


@pytest.fixture(scope="module", params=SURROGATES, ids=lambda cls: cls.__name__)
def fitted(request, data) -> EnsembleSurrogate:
    train, targets, _, _ = data
    return request.param(NUM_INPUTS, NUM_OPS, seed=0).fit(train, targets)


def test_held_out_rank_correlation_above_0_9(fitted, data):
    _, _, held_out, truth = data
    mean, std = fitted.predict(held_out)
    assert spearmanr(mean, truth)[0] > 0.9
    assert mean.shape == std.shape == (300,) and np.all(std >= 0) and np.all((mean > 0) & (mean < 1))


def test_mixed_lengths_in_one_call_match_separate_calls(fitted, data):
    _, _, held_out, _ = data
    together, _ = fitted.predict(held_out[:50])
    apart = np.concatenate([fitted.predict([cell])[0] for cell in held_out[:50]])
    assert {len(cell) for cell in held_out[:50]} == {1, 2, 3, 4}
    np.testing.assert_allclose(together, apart, rtol=1e-5, atol=1e-6)


def test_ensemble_members_disagree_a_little(fitted, data):
    _, _, held_out, _ = data
    assert len(fitted.members) == 5
    assert fitted.predict(held_out)[1].mean() > 0


@pytest.mark.parametrize("cls", SURROGATES)
def test_same_seed_same_predictions(cls, data):
    train, targets, held_out, _ = data
    first = cls(NUM_INPUTS, NUM_OPS, seed=3, min_steps=20).fit(train[:100], targets[:100]).predict(held_out)[0]
    second = cls(NUM_INPUTS, NUM_OPS, seed=3, min_steps=20).fit(train[:100], targets[:100]).predict(held_out)[0]
    other = cls(NUM_INPUTS, NUM_OPS, seed=4, min_steps=20).fit(train[:100], targets[:100]).predict(held_out)[0]
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_lstm_prefix_sharing_equals_the_plain_forward_pass(data):
    train, targets, held_out, _ = data
    model = LSTMSurrogate(NUM_INPUTS, NUM_OPS, seed=0, min_steps=10).fit(train[:60], targets[:60])
    parent = held_out[0][:2]
    children = [parent + [(i, o, j, p)] for i in range(4) for j in range(4) for o in range(8) for p in range(0, 8, 3)]
    tokens = encode_cells(children + held_out, NUM_INPUTS, NUM_OPS)
    with torch.inference_mode():
        shared = model._predict_logits(tokens)
        plain = EnsembleSurrogate._predict_logits(model, tokens)
    torch.testing.assert_close(shared, plain, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls", SURROGATES)
def test_bad_input_is_rejected_with_a_clear_message(cls):
    model = cls(NUM_INPUTS, NUM_OPS)
    with pytest.raises(RuntimeError, match="before fit"):
        model.predict([[(0, 0, 1, 1)]])
    with pytest.raises(ValueError, match=r"inputs must be in 0..5"):
        model.fit([[(0, 0, 6, 1)]], [0.5])
    with pytest.raises(ValueError, match=r"ops must be in 0..7"):
        model.fit([[(0, 8, 1, 1)]], [0.5])
    with pytest.raises(ValueError, match="fractions, not percentages"):
        model.fit([[(0, 0, 1, 1)]], [93.5])
    with pytest.raises(ValueError, match="got 1 cells but 2 targets"):
        model.fit([[(0, 0, 1, 1)]], [0.5, 0.6])
    with pytest.raises(ValueError, match="no blocks"):
        model.fit([[]], [0.5])
    with pytest.raises(ValueError, match="4 integers"):
        model.fit([[(0, 0, 1)]], [0.5])


def test_single_member_ensemble_fits_on_all_cells(data):
    train, targets, held_out, _ = data
    mean, std = (
        LSTMSurrogate(NUM_INPUTS, NUM_OPS, num_members=1, min_steps=5)
        .fit(train[:40], targets[:40])
        .predict(held_out[:5])
    )
    assert mean.shape == (5,) and np.all(std == 0)


def test_fits_on_fewer_cells_than_members():
    model = MLPSurrogate(NUM_INPUTS, NUM_OPS, min_steps=5).fit([[(0, 0, 1, 1)], [(1, 2, 1, 3)]], [0.4, 0.8])
    mean, _ = model.predict([[(0, 0, 1, 1)], [(1, 2, 1, 3)]])
    assert mean[1] > mean[0]


def test_cell_tokens_are_accepted_directly(fitted, data):
    _, _, held_out, _ = data
    tokens = encode_cells(held_out, NUM_INPUTS, NUM_OPS)
    assert isinstance(tokens, CellTokens)
    np.testing.assert_array_equal(fitted.predict(tokens)[0], fitted.predict(held_out)[0])
