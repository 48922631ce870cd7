"""How well a predictor ranks: rank correlations of predicted against measured values."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["rank_correlations"]


def rank_correlations(predicted: Sequence[float], truth: Sequence[float]) -> dict[str, float]:
    """Kendall tau and Spearman rho of ``predicted`` against ``truth``; a constant prediction ranks nothing: 0.

    Returns:
        ``{"kendall_tau": tau, "spearman": rho}``.
    """
    from scipy.stats import kendalltau, spearmanr

    if np.ptp(predicted) == 0 or np.ptp(truth) == 0:
        return {"kendall_tau": 0.0, "spearman": 0.0}
    tau, rho = kendalltau(predicted, truth)[0], spearmanr(predicted, truth)[0]
    return {"kendall_tau": float(np.nan_to_num(tau)), "spearman": float(np.nan_to_num(rho))}
