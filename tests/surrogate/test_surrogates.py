"""Tests of the surrogates beyond the conformance suite: prefix sharing, readouts, ensembles, warm starts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from surrogate import CellTokens, EnsembleSurrogate, LSTMSurrogate, MLPSurrogate, encode_cells
from tests.surrogate.synthetic import NUM_INPUTS, NUM_OPS, random_cells, synthetic_accuracy


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    train = random_cells(rng, 300, max_blocks=3)
    held_out = random_cells(rng, 300, max_blocks=4)  # includes cells longer than any seen in fitting
    return train, synthetic_accuracy(train), held_out, synthetic_accuracy(held_out)


@pytest.mark.parametrize("cls", [LSTMSurrogate, MLPSurrogate])
def test_held_out_cells_longer_than_any_fitted_are_ranked_well(cls, data):
    train, targets, held_out, truth = data
    mean, _ = cls(NUM_INPUTS, NUM_OPS, seed=0).fit(train, targets).predict(held_out)
    assert spearmanr(mean, truth)[0] > 0.8


@pytest.mark.parametrize("readout", ["mean", "final"])
@pytest.mark.parametrize("with_features", [False, True])
def test_lstm_prefix_sharing_equals_the_plain_forward_pass(data, readout, with_features):
    train, targets, held_out, _ = data
    rng = np.random.default_rng(0)
    features = rng.normal(size=(60, 2)) if with_features else None
    model = LSTMSurrogate(NUM_INPUTS, NUM_OPS, readout=readout, seed=0, steps=10).fit(
        train[:60], targets[:60], features=features
    )
    parent = held_out[0][:2]
    children = [parent + [(i, o, j, p)] for i in range(4) for j in range(4) for o in range(8) for p in range(0, 8, 3)]
    cells = children + held_out
    tokens = encode_cells(cells, NUM_INPUTS, NUM_OPS)
    side = model._standardised(rng.normal(size=(len(cells), 2))) if with_features else None
    with torch.inference_mode():
        shared = model._predict_logits(tokens, side)
        plain = EnsembleSurrogate._predict_logits(model, tokens, side)
    torch.testing.assert_close(shared, plain, rtol=1e-4, atol=1e-5)


def test_members_are_trained_on_different_folds_and_disagree(data):
    train, targets, held_out, _ = data
    model = MLPSurrogate(NUM_INPUTS, NUM_OPS, seed=0).fit(train, targets)
    assert model.network is not None and model.network.head.weight.shape[0] == 5
    assert model.predict(held_out)[1].mean() > 0


def test_single_member_ensemble_fits_on_all_cells_and_has_no_spread(data):
    train, targets, held_out, _ = data
    model = LSTMSurrogate(NUM_INPUTS, NUM_OPS, num_members=1, steps=5).fit(train[:40], targets[:40])
    mean, std = model.predict(held_out[:5])
    assert mean.shape == (5,) and np.all(std == 0)


def test_early_stopping_keeps_weights_no_worse_on_the_held_out_folds_than_the_last(data):
    train, targets, _, _ = data
    noisy = np.clip(targets[:100] + np.random.default_rng(0).normal(scale=0.05, size=100), 0, 1)
    stopped = MLPSurrogate(NUM_INPUTS, NUM_OPS, seed=0, steps=300, eval_every=10).fit(train[:100], noisy)
    last = MLPSurrogate(NUM_INPUTS, NUM_OPS, seed=0, steps=300, early_stopping=False).fit(train[:100], noisy)
    folds = stopped._folds(100, np.random.default_rng(0))
    tokens = encode_cells(train[:100], NUM_INPUTS, NUM_OPS)
    with torch.inference_mode():
        errors = [
            np.array([np.abs(torch.sigmoid(m._predict_logits(tokens, None))[k, rows].numpy() - noisy[rows]).mean()
                      for k, (_, rows) in enumerate(folds)])
            for m in (stopped, last)
        ]  # fmt: skip
    assert np.all(errors[0] <= errors[1] + 1e-6)


def test_warm_start_continues_from_the_fitted_weights(data):
    train, targets, held_out, truth = data
    warm = LSTMSurrogate(NUM_INPUTS, NUM_OPS, seed=0, steps=30, warm_start=True)
    warm.fit(train[:100], targets[:100])
    first = warm.predict(held_out)[0]
    warm.fit(train, targets)
    cold = LSTMSurrogate(NUM_INPUTS, NUM_OPS, seed=0, steps=30).fit(train, targets)
    assert not np.allclose(warm.predict(held_out)[0], cold.predict(held_out)[0])  # it did not start afresh
    assert spearmanr(warm.predict(held_out)[0], truth)[0] > spearmanr(first, truth)[0]


def test_cell_tokens_are_accepted_directly(data):
    train, targets, held_out, _ = data
    model = MLPSurrogate(NUM_INPUTS, NUM_OPS, steps=20).fit(train[:50], targets[:50])
    tokens = encode_cells(held_out, NUM_INPUTS, NUM_OPS)
    assert isinstance(tokens, CellTokens)
    np.testing.assert_array_equal(model.predict(tokens)[0], model.predict(held_out)[0])


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="steps=0"):
        LSTMSurrogate(NUM_INPUTS, NUM_OPS, steps=0)
    with pytest.raises(ValueError, match="readout"):
        LSTMSurrogate(NUM_INPUTS, NUM_OPS, readout="last")
