"""The ensemble fitting and prediction shared by every surrogate: k-fold members, Adam, L1 loss, sigmoid output."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from surrogate.encoding import CellLike, CellTokens, encode_cells

__all__ = ["EnsembleSurrogate"]


class EnsembleSurrogate:
    """Base class: an ensemble of ``num_members`` regressors, member ``m`` fitted on all folds but fold ``m``.

    With fewer than ``2 * num_members`` cells, or a single member, every member is fitted on all the data.

    Subclasses provide :meth:`_make_member` (an ``nn.Module`` mapping ``(blocks, lengths)`` tensors to logits) and
    may override :meth:`_predict_logits` with a faster batched path.

    Args:
        num_inputs: Input vocabulary size (block inputs are ``0 .. num_inputs - 1``).
        num_ops: Operation vocabulary size.
        num_members: Ensemble size.
        embedding_size: Size of each member's token embeddings.
        hidden_size: Hidden size of each member's network.
        epochs: Passes over each member's training data per :meth:`fit`.
        min_steps: At least this many gradient steps per member (more epochs on small data).
        batch_size: Cells per gradient step.
        learning_rate: Adam learning rate.
        seed: Seed of initialisation, folds and batch order: the same seed gives the same predictions.
    """

    def __init__(
        self,
        num_inputs: int,
        num_ops: int,
        num_members: int = 5,
        embedding_size: int = 100,
        hidden_size: int = 100,
        epochs: int = 15,
        min_steps: int = 100,
        batch_size: int = 128,
        learning_rate: float = 5e-3,
        seed: int = 0,
    ) -> None:
        if min(num_inputs, num_ops, num_members, epochs, batch_size) < 1 or min_steps < 0:
            raise ValueError("num_inputs, num_ops, num_members, epochs and batch_size must be >= 1, min_steps >= 0")
        self.num_inputs, self.num_ops, self.num_members = num_inputs, num_ops, num_members
        self.embedding_size, self.hidden_size = embedding_size, hidden_size
        self.epochs, self.min_steps, self.batch_size = epochs, min_steps, batch_size
        self.learning_rate, self.seed = learning_rate, seed
        self.members: list[nn.Module] = []

    def _make_member(self) -> nn.Module:
        raise NotImplementedError

    def _member_folds(self, count: int, rng: np.random.Generator) -> list[np.ndarray]:
        order = rng.permutation(count)
        if self.num_members == 1 or count < 2 * self.num_members:
            return [order] * self.num_members  # too few cells to hold any out: every member sees all
        folds = np.array_split(order, self.num_members)
        return [np.concatenate([f for j, f in enumerate(folds) if j != m]) for m in range(self.num_members)]

    def fit(self, cells: Sequence[CellLike] | CellTokens, targets: Sequence[float]) -> EnsembleSurrogate:
        """Fit every member afresh on ``cells`` and their ``targets`` (accuracies in [0, 1]).

        Raises:
            ValueError: Cells and targets differ in number, or a target is not a finite number in [0, 1].
        """
        tokens = encode_cells(cells, self.num_inputs, self.num_ops)
        y = np.asarray(targets, dtype=np.float32)
        if y.shape != (len(tokens),):
            raise ValueError(f"got {len(tokens)} cells but {y.size} targets")
        if not np.all(np.isfinite(y)) or y.min() < 0 or y.max() > 1:
            raise ValueError("targets must be finite accuracies in [0, 1] (fractions, not percentages)")
        rng = np.random.default_rng(self.seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            folds = self._member_folds(len(y), rng)
            self.members = [self._fit_member(tokens.subset(rows), y[rows], float(y.mean())) for rows in folds]
        return self

    def _fit_member(self, tokens: CellTokens, y: np.ndarray, prior: float) -> nn.Module:
        member = self._make_member()
        prior = min(max(prior, 1e-3), 1 - 1e-3)
        with torch.no_grad():  # start at the mean accuracy rather than at 0.5
            member.head.bias.fill_(float(np.log(prior / (1 - prior))))
        optimizer = torch.optim.Adam(member.parameters(), lr=self.learning_rate)
        blocks, lengths, target = torch.from_numpy(tokens.blocks), torch.from_numpy(tokens.lengths), torch.from_numpy(y)
        steps_per_epoch = -(-len(target) // self.batch_size)
        member.train()
        for _ in range(max(self.epochs, -(-self.min_steps // steps_per_epoch))):
            for batch in torch.randperm(len(target)).split(self.batch_size):
                width = int(lengths[batch].max())
                prediction = torch.sigmoid(member(blocks[batch, :width], lengths[batch]))
                loss = torch.nn.functional.l1_loss(prediction, target[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
        return member.eval()

    def _predict_logits(self, tokens: CellTokens) -> torch.Tensor:
        """Logits of every member: ``(num_members, n)``."""
        blocks, lengths = torch.from_numpy(tokens.blocks), torch.from_numpy(tokens.lengths)
        chunks = []
        for rows in torch.arange(len(lengths)).split(8192):
            width = int(lengths[rows].max())
            chunks.append(torch.stack([m(blocks[rows, :width], lengths[rows]) for m in self.members]))
        return torch.cat(chunks, dim=1)

    def predict(self, cells: Sequence[CellLike] | CellTokens) -> tuple[np.ndarray, np.ndarray]:
        """Predicted accuracy of each cell: the ensemble mean and standard deviation, as numpy arrays.

        Raises:
            RuntimeError: :meth:`fit` has not been called.
        """
        if not self.members:
            raise RuntimeError(f"{type(self).__name__}.predict called before fit")
        tokens = encode_cells(cells, self.num_inputs, self.num_ops)
        with torch.inference_mode():
            predictions = torch.sigmoid(self._predict_logits(tokens)).numpy().astype(np.float64)
        return predictions.mean(axis=0), predictions.std(axis=0)
