"""The paper's MLP-ensemble alternative: embed each block, average the blocks, regress with an MLP."""

from __future__ import annotations

import torch
from torch import nn

from surrogate.ensemble import EnsembleSurrogate

__all__ = ["MLPSurrogate"]


class _MLPRegressor(nn.Module):
    def __init__(self, num_inputs: int, num_ops: int, embedding_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_embedding = nn.Embedding(num_inputs, embedding_size)
        self.op_embedding = nn.Embedding(num_ops, embedding_size)
        self.body = nn.Sequential(
            nn.Linear(4 * embedding_size, hidden_size), nn.ReLU(), nn.Linear(hidden_size, hidden_size), nn.ReLU()
        )
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, blocks: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        embedded = torch.cat([self.input_embedding(blocks[..., [0, 2]]), self.op_embedding(blocks[..., [1, 3]])], 2)
        per_block = embedded.flatten(2)  # (n, B, 4E)
        mask = (torch.arange(blocks.shape[1])[None, :] < lengths[:, None]).unsqueeze(-1)
        mean = (per_block * mask).sum(1) / lengths[:, None]
        return self.head(self.body(mean)).squeeze(-1)


class MLPSurrogate(EnsembleSurrogate):
    """Ensemble of MLP accuracy predictors (the PNAS paper's alternative to the LSTM).

    Each block's 4 tokens are embedded (inputs and ops in separate tables) and concatenated; the cell is the mean
    of its blocks, fed to a two-layer ReLU MLP with a sigmoid output.

    Takes the :class:`~surrogate.ensemble.EnsembleSurrogate` arguments (``num_inputs``, ``num_ops``,
    ``num_members``, ``embedding_size``, ``hidden_size``, ``epochs``, ``seed``, ...).
    """

    def _make_member(self) -> nn.Module:
        return _MLPRegressor(self.num_inputs, self.num_ops, self.embedding_size, self.hidden_size)
