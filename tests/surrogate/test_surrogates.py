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
@pytest.mark.parametrize("head_hidden", [0, 64])
def test_lstm_prefix_sharing_equals_the_plain_forward_pass(data, readout, with_features, head_hidden):
    train, targets, held_out, _ = data
    rng = np.random.default_rng(0)
    features = rng.normal(size=(60, 2)) if with_features else None
    model = LSTMSurrogate(NUM_INPUTS, NUM_OPS, readout=readout, head_hidden=head_hidden, seed=0, steps=10).fit(
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


def test_the_hidden_head_combines_side_features_with_the_cell_where_a_linear_head_cannot(data):
    train, targets, held_out, truth = data
    rng = np.random.default_rng(2)
    sign_train, sign_held_out = rng.choice([-1.0, 1.0], len(train)), rng.choice([-1.0, 1.0], len(held_out))
    flip = 1.5  # a side feature of -1 reverses the cells' order: 0.6 + 0.9 - accuracy
    y, y_held_out = np.where(sign_train > 0, targets, flip - targets), np.where(sign_held_out > 0, truth, flip - truth)
    spearman = {}
    for head_hidden in (0, 64):
        model = LSTMSurrogate(NUM_INPUTS, NUM_OPS, head_hidden=head_hidden, seed=0)
        mean, _ = model.fit(train, y, features=sign_train[:, None]).predict(held_out, features=sign_held_out[:, None])
        spearman[head_hidden] = spearmanr(mean, y_held_out)[0]
    assert spearman[64] > 0.7 and spearman[64] > spearman[0] + 0.2, spearman
    assert LSTMSurrogate(NUM_INPUTS, NUM_OPS).fit(train[:20], targets[:20]).network.hidden is None  # the paper's
    with pytest.raises(ValueError, match="head_hidden=-1"):
        LSTMSurrogate(NUM_INPUTS, NUM_OPS, head_hidden=-1)


def test_the_lstm_widens_its_head_only_once_it_fits_on_enough_cells(data):
    train, targets, held_out, _ = data
    default = LSTMSurrogate(NUM_INPUTS, NUM_OPS, seed=0)
    few, many = default.head_hidden_from - 1, default.head_hidden_from
    linear = LSTMSurrogate(NUM_INPUTS, NUM_OPS, head_hidden=0, seed=0)
    np.testing.assert_array_equal(
        default.fit(train[:few], targets[:few]).predict(held_out)[0],
        linear.fit(train[:few], targets[:few]).predict(held_out)[0],
    )
    assert default.network.hidden is None
    steps = round(default.steps * default.head_hidden_step_factor)
    wide = LSTMSurrogate(NUM_INPUTS, NUM_OPS, head_hidden_from=0, head_hidden_step_factor=1.0, steps=steps, seed=0)
    np.testing.assert_array_equal(
        default.fit(train[:many], targets[:many]).predict(held_out)[0],
        wide.fit(train[:many], targets[:many]).predict(held_out)[0],
    )
    assert default.network.hidden.weight.shape == (5, default.hidden_size, default.head_hidden)
    warm = LSTMSurrogate(NUM_INPUTS, NUM_OPS, warm_start=True, steps=4, seed=0)
    assert warm.fit(train[:few], targets[:few]).network.hidden is None
    assert warm.fit(train[:many], targets[:many]).network.hidden is not None  # a new head: fitted afresh
    for wrong in ({"head_hidden_from": -1}, {"head_hidden_step_factor": 0}):
        with pytest.raises(ValueError, match=f"{next(iter(wrong))}="):
            LSTMSurrogate(NUM_INPUTS, NUM_OPS, **wrong)


def test_each_member_holds_out_its_own_fifth_and_members_disagree(data):
    train, targets, held_out, _ = data
    model = MLPSurrogate(NUM_INPUTS, NUM_OPS, seed=0).fit(train, targets)
    folds = model._folds(encode_cells(train, NUM_INPUTS, NUM_OPS), np.random.default_rng(0))
    assert len(folds) == 5 and model.network is not None and model.network.head.weight.shape[0] == 5
    held = [set(rows.tolist()) for _, rows in folds]
    assert set().union(*held) == set(range(len(train))) and sum(map(len, held)) == len(train)  # a partition
    for (fit_rows, held_rows), other in zip(folds, held, strict=True):
        assert not set(fit_rows.tolist()) & other and len(fit_rows) + len(held_rows) == len(train)
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
    folds = stopped._folds(encode_cells(train[:100], NUM_INPUTS, NUM_OPS), np.random.default_rng(0))
    tokens = encode_cells(train[:100], NUM_INPUTS, NUM_OPS)
    with torch.inference_mode():
        errors = [
            np.array([np.abs(torch.sigmoid(m._predict_logits(tokens, None))[k, rows].numpy() - noisy[rows]).mean()
                      for k, (_, rows) in enumerate(folds)])
            for m in (stopped, last)
        ]  # fmt: skip
    assert np.all(errors[0] <= errors[1] + 1e-6)
    assert np.any(errors[0] < errors[1] - 1e-4)  # some member kept weights from before the last step


def test_warm_start_continues_from_the_fitted_weights(data):
    train, targets, held_out, truth = data
    warm = LSTMSurrogate(NUM_INPUTS, NUM_OPS, seed=0, steps=60, warm_start=True).fit(train[:150], targets[:150])
    first = spearmanr(warm.predict(held_out)[0], truth)[0]
    warm.steps = 1
    warm.fit(train, targets)  # one more step from the fitted weights
    fresh = LSTMSurrogate(NUM_INPUTS, NUM_OPS, seed=0, steps=1).fit(train, targets)
    continued = spearmanr(warm.predict(held_out)[0], truth)[0]
    assert continued > first - 0.05  # kept what it had learnt (0.996 -> 0.996 here)
    assert spearmanr(fresh.predict(held_out)[0], truth)[0] < continued - 0.15  # one step from scratch: 0.70


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


def test_the_ranking_loss_is_small_for_the_true_order_large_for_the_reverse_and_is_fitted_with(data):
    from surrogate.ensemble import _pairwise_ranking_loss

    target = torch.tensor([[0.1, 0.5, 0.9], [0.2, 0.2, 0.7]])
    right, wrong = _pairwise_ranking_loss(10 * target, target), _pairwise_ranking_loss(-10 * target, target)
    assert right < 0.2 < 2.0 < wrong
    with pytest.raises(ValueError, match="ranking_weight"):
        LSTMSurrogate(NUM_INPUTS, NUM_OPS, ranking_weight=-1.0)
    train, targets, held_out, truth = data
    ranked = LSTMSurrogate(NUM_INPUTS, NUM_OPS, seed=0, ranking_weight=1.0, head_hidden=0)  # as it was measured
    mean, _ = ranked.fit(train, targets).predict(held_out)
    assert spearmanr(mean, truth)[0] > 0.8 and np.all((mean > 0) & (mean < 1))


def test_one_hot_blocks_encode_each_position_and_pad_shorter_cells():
    from surrogate.forest import one_hot_blocks

    tokens = encode_cells([[(0, 1, 1, 0)], [(1, 0, 0, 1), (2, 1, 0, 0)]], num_inputs=3, num_ops=2)
    encoded = one_hot_blocks(tokens, num_inputs=3, num_ops=2, blocks=2)
    assert encoded.shape == (2, 2 * 10) and encoded.sum(axis=1).tolist() == [4, 8]
    assert encoded[0, :10].tolist() == [1, 0, 0, 0, 1, 0, 1, 0, 1, 0] and not encoded[0, 10:].any()
    assert encoded[1, 10:].tolist() == [0, 0, 1, 0, 1, 1, 0, 0, 1, 0]
    assert one_hot_blocks(tokens, 3, 2, blocks=1).tolist() == encoded[:, :10].tolist()  # later blocks left out


def test_the_forest_spread_is_its_trees_disagreement(data):
    from surrogate import ForestSurrogate

    train, targets, held_out, truth = data
    model = ForestSurrogate(NUM_INPUTS, NUM_OPS, num_trees=50, seed=0).fit(train, targets)
    mean, std = model.predict(held_out)
    assert spearmanr(mean, truth)[0] > 0.5 and std.min() >= 0 and std.mean() > 0
    single = ForestSurrogate(NUM_INPUTS, NUM_OPS, num_trees=1, seed=0).fit(train, targets)
    assert not single.predict(held_out)[1].any()
    with pytest.raises(ValueError, match="num_trees=0: must be integers >= 1"):
        ForestSurrogate(NUM_INPUTS, NUM_OPS, num_trees=0)


def test_the_blend_averages_its_lstm_and_forest_and_its_spread_covers_their_disagreement(data):
    from surrogate import BlendSurrogate, ForestSurrogate

    train, targets, held_out, _ = data
    blend = BlendSurrogate(NUM_INPUTS, NUM_OPS, num_trees=20, seed=3, steps=40).fit(train, targets)
    mean, std = blend.predict(held_out)
    lstm_mean, _ = LSTMSurrogate(NUM_INPUTS, NUM_OPS, seed=3, steps=40).fit(train, targets).predict(held_out)
    forest_mean, _ = ForestSurrogate(NUM_INPUTS, NUM_OPS, num_trees=20, seed=3).fit(train, targets).predict(held_out)
    np.testing.assert_allclose(mean, (lstm_mean + forest_mean) / 2, rtol=1e-5)
    assert np.all(std >= np.abs(lstm_mean - forest_mean) / 2 - 1e-9)
