"""The paper's MLP-ensemble alternative: embed each block, average the blocks, regress with an MLP."""

from __future__ import annotations

import torch
from torch import nn

from surrogate.batched import MemberEmbedding, MemberLinear
from surrogate.ensemble import EnsembleSurrogate

__all__ = ["MLPSurrogate"]


class _MLPEncoder(nn.Module):
    """Per member: each block's 4 embedded tokens concatenated, the mean over blocks, two ReLU layers."""

    def __init__(self, members: int, num_inputs: int, num_ops: int, embedding_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_embedding = MemberEmbedding(members, num_inputs, embedding_size)
        self.op_embedding = MemberEmbedding(members, num_ops, embedding_size)
        self.first = MemberLinear(members, 4 * embedding_size, hidden_size)
        self.second = MemberLinear(members, hidden_size, hidden_size)

    def forward(self, blocks: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        embedded = torch.cat([self.input_embedding(blocks[..., [0, 2]]), self.op_embedding(blocks[..., [1, 3]])], 3)
        per_block = embedded.flatten(3)  # (M, n, B, 4E)
        mask = (torch.arange(blocks.shape[2]) < lengths.unsqueeze(-1)).unsqueeze(-1)
        mean = (per_block * mask).sum(2) / lengths.unsqueeze(-1)
        return torch.relu(self.second(torch.relu(self.first(mean))))


class MLPSurrogate(EnsembleSurrogate):
    """Ensemble of MLP accuracy predictors (the PNAS paper's alternative to the LSTM).

    Each block's 4 tokens are embedded (inputs and ops in separate tables) and concatenated; the cell is the mean
    of its blocks, fed to a two-layer ReLU MLP with a sigmoid output.

    Takes the :class:`~surrogate.ensemble.EnsembleSurrogate` arguments (``num_inputs``, ``num_ops``,
    ``num_members``, ``embedding_size``, ``hidden_size``, ``steps``, ``seed``, ...).
    """

    def _make_encoder(self) -> tuple[nn.Module, int]:
        members, size = self.num_members, self.hidden_size
        return _MLPEncoder(members, self.num_inputs, self.num_ops, self.embedding_size, size), size
