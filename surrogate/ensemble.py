"""The ensemble fitting and prediction shared by every surrogate: k-fold members trained together, L1 loss, sigmoid.

The members of an ensemble share one architecture, so their weights are stacked along a leading member axis
(:mod:`surrogate.batched`) and one optimizer step trains all of them, each on a batch from its own folds.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from surrogate.batched import MemberLinear
from surrogate.encoding import CellLike, CellTokens, encode_cells
from surrogate.validation import feature_matrix, target_array

__all__ = ["EnsembleSurrogate"]


class _Ensemble(nn.Module):
    """An encoder of cells into ``(M, n, size)`` vectors, and a head over them and the side features.

    The head is linear, or with ``head_hidden`` units a ReLU layer and then a linear one.
    """

    def __init__(self, encoder: nn.Module, members: int, size: int, num_features: int, head_hidden: int) -> None:
        super().__init__()
        self.encoder, self.size = encoder, size
        width = size + num_features
        self.hidden = MemberLinear(members, width, head_hidden) if head_hidden else None
        self.head = MemberLinear(members, head_hidden or width, 1)

    def read_out(self, encoded: torch.Tensor, features: torch.Tensor | None) -> torch.Tensor:
        """Logits ``(M, n)`` of encoded cells ``(M, n, size)`` and their standardised features ``(M, n, k)``."""
        if features is not None:
            encoded = torch.cat([encoded, features], dim=-1)
        if self.hidden is not None:
            encoded = torch.relu(self.hidden(encoded))
        return self.head(encoded).squeeze(-1)

    def forward(self, blocks: torch.Tensor, lengths: torch.Tensor, features: torch.Tensor | None) -> torch.Tensor:
        return self.read_out(self.encoder(blocks, lengths), features)


class EnsembleSurrogate:
    """Base class: an ensemble of ``num_members`` regressors, member ``m`` fitted on all folds but fold ``m``.

    Training runs a fixed budget of ``steps`` optimizer steps whatever the number of cells, on batches drawn with
    replacement from each member's folds. With ``early_stopping`` each member keeps the weights that did best on
    its held-out fold (checked every ``eval_every`` steps). With fewer than ``2 * num_members`` cells, or a single
    member, every member is fitted on all the data and trained for the whole budget.

    Side features known before training (parameter count, multiply-adds, ...) may be given to :meth:`fit` as an
    ``(n, k)`` array; they are standardised and join the encoded cell at the head, and :meth:`predict` then needs
    them too.

    Subclasses provide :meth:`_make_encoder` and may override :meth:`_predict_logits` with a faster path.

    Args:
        num_inputs: Input vocabulary size (block inputs are ``0 .. num_inputs - 1``).
        num_ops: Operation vocabulary size.
        num_members: Ensemble size.
        embedding_size: Size of each member's token embeddings.
        hidden_size: Hidden size of each member's network.
        steps: Optimizer steps per :meth:`fit`, the same for any number of cells.
        batch_size: Cells per member per step.
        learning_rate: AdamW learning rate.
        weight_decay: AdamW weight decay.
        early_stopping: Keep each member's weights that did best on its held-out fold.
        eval_every: Steps between held-out checks.
        ranking_weight: Weight of a pairwise ranking loss added to the L1 loss: within each batch, the logistic
            loss of every pair's predicted order against its true order (0: the paper's L1 loss alone). Measured
            with the linear head; with a hidden layer it can push the best cells' predictions to exactly 1.
        head_hidden: Units of a ReLU layer between the encoded cell (with its side features) and the output
            (0: the paper's linear head).
        head_hidden_from: Use the hidden layer only in fits on at least this many cells; a fit on fewer gets the
            paper's linear head (0: always the hidden layer). A wider head needs more cells than a few dozen.
        head_hidden_step_factor: A fit with the hidden layer takes this many times ``steps`` optimizer steps.
        warm_start: A later :meth:`fit` continues from the fitted weights (fine-tuning, as the paper does after
            each step) instead of starting afresh.
        seed: Seed of initialisation, folds and batches: the same seed gives the same predictions.
    """

    def __init__(
        self,
        num_inputs: int,
        num_ops: int,
        num_members: int = 5,
        embedding_size: int = 100,
        hidden_size: int = 100,
        steps: int = 100,
        batch_size: int = 32,
        learning_rate: float = 5e-3,
        weight_decay: float = 0.0,
        early_stopping: bool = True,
        eval_every: int = 20,
        ranking_weight: float = 0.0,
        head_hidden: int = 0,
        head_hidden_from: int = 0,
        head_hidden_step_factor: float = 1.0,
        warm_start: bool = False,
        seed: int = 0,
    ) -> None:
        sizes = {
            "num_inputs": num_inputs,
            "num_ops": num_ops,
            "num_members": num_members,
            "embedding_size": embedding_size,
            "hidden_size": hidden_size,
            "steps": steps,
            "batch_size": batch_size,
            "eval_every": eval_every,
        }
        wrong = {name: value for name, value in sizes.items() if not isinstance(value, int) or value < 1}
        if learning_rate <= 0:
            wrong["learning_rate"] = learning_rate
        if weight_decay < 0:
            wrong["weight_decay"] = weight_decay
        if ranking_weight < 0:
            wrong["ranking_weight"] = ranking_weight
        for name, value in (("head_hidden", head_hidden), ("head_hidden_from", head_hidden_from)):
            if not isinstance(value, int) or value < 0:
                wrong[name] = value
        if head_hidden_step_factor <= 0:
            wrong["head_hidden_step_factor"] = head_hidden_step_factor
        if wrong:
            raise ValueError(
                f"{', '.join(f'{k}={v}' for k, v in wrong.items())}: sizes, steps, batch_size and eval_every must be "
                "integers >= 1, head_hidden and head_hidden_from integers >= 0, learning_rate and "
                "head_hidden_step_factor > 0, weight_decay and ranking_weight >= 0"
            )
        self.num_inputs, self.num_ops, self.num_members = num_inputs, num_ops, num_members
        self.embedding_size, self.hidden_size = embedding_size, hidden_size
        self.steps, self.batch_size, self.eval_every = steps, batch_size, eval_every
        self.learning_rate, self.weight_decay = learning_rate, weight_decay
        self.early_stopping, self.warm_start, self.seed = early_stopping, warm_start, seed
        self.ranking_weight, self.head_hidden = ranking_weight, head_hidden
        self.head_hidden_from, self.head_hidden_step_factor = head_hidden_from, head_hidden_step_factor
        self.network: _Ensemble | None = None
        self._feature_scale: tuple[np.ndarray, np.ndarray] | None = None

    def _make_encoder(self) -> tuple[nn.Module, int]:
        """A member-batched encoder ``(M, n, B, 4) blocks, (M, n) lengths -> (M, n, size)``, and its ``size``."""
        raise NotImplementedError

    @property
    def fitted(self) -> bool:
        """Whether :meth:`fit` has been called."""
        return self.network is not None

    def _folds(self, tokens: CellTokens, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per member: its training rows and its held-out rows (empty when every member sees everything).

        Folds are a seeded shuffle of the rows; with ``warm_start`` each cell's fold follows from its tokens
        instead, so a cell a member trained on in an earlier fit never lands in that member's held-out fold.
        """
        count = len(tokens)
        order = rng.permutation(count)
        everything = [(order, order[:0])] * self.num_members
        if self.num_members == 1 or count < 2 * self.num_members:
            return everything
        if self.warm_start:
            cells = (tokens.blocks[row, : tokens.lengths[row]] for row in range(count))
            fold_of = np.array([zlib.crc32(cell.tobytes()) % self.num_members for cell in cells])
            folds = [order[fold_of[order] == m] for m in range(self.num_members)]
            if not all(len(fold) for fold in folds):
                return everything
        else:
            folds = np.array_split(order, self.num_members)
        return [(np.concatenate(folds[:m] + folds[m + 1 :]), folds[m]) for m in range(self.num_members)]

    def _standardised(self, values: np.ndarray | None) -> np.ndarray | None:
        """Side features on the scale they were fitted with.

        Raises:
            ValueError: The features are missing, extra or of another width than at fit time.
        """
        scale = self._feature_scale
        if values is None:
            if scale is not None:
                raise ValueError("this surrogate was fitted with side features: pass features= to predict as well")
            return None
        if scale is None:
            raise ValueError("this surrogate was fitted without side features: call predict without features=")
        if values.shape[1] != len(scale[0]):
            raise ValueError(f"fitted with {len(scale[0])} features, got {values.shape[1]}")
        return ((values - scale[0]) / scale[1]).astype(np.float32)

    def fit(
        self,
        cells: Sequence[CellLike] | CellTokens,
        targets: Sequence[float],
        features: np.ndarray | Sequence | None = None,
    ) -> EnsembleSurrogate:
        """Fit every member on ``cells`` and their ``targets`` (accuracies in [0, 1]).

        Args:
            cells: Sequences of blocks, or :class:`~surrogate.encoding.CellTokens`.
            targets: One accuracy per cell, a fraction in [0, 1].
            features: Optional ``(n, k)`` side inputs known before training, one row per cell.

        Raises:
            ValueError: Cells, targets or features differ in number, or a target is not a finite number in [0, 1].
        """
        tokens = encode_cells(cells, self.num_inputs, self.num_ops)
        y = target_array(targets, len(tokens))
        values = feature_matrix(features, len(tokens))
        arity = 0 if values is None else values.shape[1]
        fitted_arity = 0 if self._feature_scale is None else len(self._feature_scale[0])
        hidden = self.head_hidden if len(tokens) >= self.head_hidden_from else 0
        same_head = self.network is not None and (self.network.hidden is not None) == bool(hidden)
        if not (self.warm_start and self.fitted and arity == fitted_arity and same_head):
            self.network = None  # start afresh, with the scale of these features
            self._feature_scale = None if values is None else _scale_of(values)
        x = self._standardised(values)
        rng = np.random.default_rng(self.seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            if self.network is None:
                encoder, size = self._make_encoder()
                self.network = _Ensemble(encoder, self.num_members, size, arity, hidden)
                prior = float(np.clip(y.mean(), 1e-3, 1 - 1e-3))
                with torch.no_grad():  # start at the mean accuracy rather than at 0.5
                    self.network.head.bias.fill_(float(np.log(prior / (1 - prior))))
            steps = max(1, round(self.steps * self.head_hidden_step_factor)) if hidden else self.steps
            self._train(tokens, y.astype(np.float32), x, self._folds(tokens, rng), rng, steps)
        return self

    def _train(
        self,
        tokens: CellTokens,
        y: np.ndarray,
        x: np.ndarray | None,
        folds: list[tuple[np.ndarray, np.ndarray]],
        rng: np.random.Generator,
        steps: int,
    ) -> None:
        network = self.network
        assert network is not None
        blocks, lengths = torch.from_numpy(tokens.blocks), torch.from_numpy(tokens.lengths)
        target = torch.from_numpy(y)
        features = None if x is None else torch.from_numpy(x)
        draws = np.stack([train[rng.integers(len(train), size=(steps, self.batch_size))] for train, _ in folds])
        batches = torch.from_numpy(draws)  # (M, steps, batch)
        held_out = _HeldOut(folds) if self.early_stopping and len(folds[0][1]) else None
        optimizer = torch.optim.AdamW(network.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        network.train()
        for step in range(steps):
            rows = batches[:, step]
            width = int(lengths[rows].max())
            logits = network(blocks[rows, :width], lengths[rows], None if features is None else features[rows])
            loss = (torch.sigmoid(logits) - target[rows]).abs().mean(dim=1).sum()
            if self.ranking_weight:
                loss = loss + self.ranking_weight * _pairwise_ranking_loss(logits, target[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if held_out is not None and ((step + 1) % self.eval_every == 0 or step + 1 == steps):
                held_out.check(network, blocks, lengths, target, features)
        if held_out is not None:
            held_out.restore(network)
        network.eval()

    def _predict_logits(self, tokens: CellTokens, features: np.ndarray | None) -> torch.Tensor:
        """Logits of every member: ``(num_members, n)``."""
        network = self.network
        assert network is not None
        blocks, lengths = torch.from_numpy(tokens.blocks), torch.from_numpy(tokens.lengths)
        x = None if features is None else torch.from_numpy(features)
        chunks = []
        for rows in torch.arange(len(lengths)).split(8192):
            width = int(lengths[rows].max())
            shared = rows.expand(self.num_members, -1)
            chunks.append(network(blocks[shared, :width], lengths[shared], None if x is None else x[shared]))
        return torch.cat(chunks, dim=1)

    def predict(
        self, cells: Sequence[CellLike] | CellTokens, features: np.ndarray | Sequence | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Predicted accuracy of each cell: the ensemble mean and standard deviation, as numpy arrays.

        Args:
            cells: Sequences of blocks, or :class:`~surrogate.encoding.CellTokens`.
            features: The side features, one row per cell, when :meth:`fit` was given them.

        Raises:
            RuntimeError: :meth:`fit` has not been called.
            ValueError: Features are missing, extra or of the wrong shape.
        """
        if not self.fitted:
            raise RuntimeError(f"{type(self).__name__}.predict called before fit: fit it on some cells first")
        tokens = encode_cells(cells, self.num_inputs, self.num_ops)
        x = self._standardised(feature_matrix(features, len(tokens)))
        with torch.inference_mode():
            predictions = torch.sigmoid(self._predict_logits(tokens, x)).numpy().astype(np.float64)
        return predictions.mean(axis=0), predictions.std(axis=0)


def _pairwise_ranking_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per member, the mean logistic loss of the predicted order of every pair whose true order is strict, summed.

    Args:
        logits: ``(members, batch)`` predictions.
        target: ``(members, batch)`` true accuracies.
    """
    predicted = logits.unsqueeze(2) - logits.unsqueeze(1)
    order = torch.sign(target.unsqueeze(2) - target.unsqueeze(1))
    pairs = (order != 0).float()
    losses = torch.nn.functional.softplus(-order * predicted) * pairs
    return (losses.sum(dim=(1, 2)) / pairs.sum(dim=(1, 2)).clamp(min=1.0)).sum()


def _scale_of(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread of each feature column (a constant column keeps spread 1)."""
    spread = values.std(axis=0)
    return values.mean(axis=0), np.where(spread > 0, spread, 1.0)


class _HeldOut:
    """Each member's held-out fold, its best loss so far and the weights that reached it."""

    def __init__(self, folds: list[tuple[np.ndarray, np.ndarray]]) -> None:
        width = max(len(rows) for _, rows in folds)
        padded = np.stack([np.resize(rows, width) for _, rows in folds])  # repeats rows to a common width
        self.rows = torch.from_numpy(padded)
        self.mask = torch.from_numpy(np.stack([np.arange(width) < len(rows) for _, rows in folds])).float()
        self.best = torch.full((len(folds),), float("inf"))
        self.state: dict[str, torch.Tensor] = {}

    def check(
        self,
        network: nn.Module,
        blocks: torch.Tensor,
        lengths: torch.Tensor,
        target: torch.Tensor,
        features: torch.Tensor | None,
    ) -> None:
        """Score every member on its fold; remember the weights of those that improved."""
        with torch.no_grad():
            width = int(lengths[self.rows].max())
            x = None if features is None else features[self.rows]
            error = (torch.sigmoid(network(blocks[self.rows, :width], lengths[self.rows], x)) - target[self.rows]).abs()
            loss = (error * self.mask).sum(1) / self.mask.sum(1)
            improved = loss < self.best
            if not improved.any():
                return
            self.best = torch.where(improved, loss, self.best)
            for name, parameter in network.named_parameters():
                if name not in self.state:
                    self.state[name] = parameter.detach().clone()
                else:
                    self.state[name][improved] = parameter.detach()[improved]

    def restore(self, network: nn.Module) -> None:
        """Load each member's best weights."""
        with torch.no_grad():
            for name, parameter in network.named_parameters():
                if name in self.state:
                    parameter.copy_(self.state[name])
