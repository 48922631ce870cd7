"""Layers whose weights carry a leading member axis: an ensemble of identical networks trained as one.

Every tensor that flows through these layers has shape ``(members, ...)``; member ``m`` only ever touches its own
slice of each weight, so one optimizer step trains every member at once and each member stays independent.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["MemberEmbedding", "MemberLSTM", "MemberLinear", "lookup"]


def _uniform(shape: tuple[int, ...], bound: float) -> nn.Parameter:
    return nn.Parameter(torch.empty(shape).uniform_(-bound, bound))


class MemberLinear(nn.Module):
    """``members`` independent linear layers: ``(M, n, in) -> (M, n, out)``, initialised like ``nn.Linear``."""

    def __init__(self, members: int, in_features: int, out_features: int) -> None:
        super().__init__()
        bound = 1 / math.sqrt(in_features)
        self.weight = _uniform((members, in_features, out_features), bound)
        self.bias = _uniform((members, 1, out_features), bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(M, n, in) -> (M, n, out)``."""
        return torch.baddbmm(self.bias, x, self.weight)


class MemberEmbedding(nn.Module):
    """``members`` independent embedding tables: ``(M, n, ...)`` integer tokens -> ``(M, n, ..., dim)``."""

    def __init__(self, members: int, vocabulary: int, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(members, vocabulary, dim))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(M, ...)`` tokens -> ``(M, ..., dim)`` embeddings."""
        return lookup(self.weight, tokens)


def lookup(table: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """``table[m, tokens[m, ...]]`` for a small ``(M, V, D)`` table, as a one-hot product (a fast backward pass)."""
    members, vocabulary, dim = table.shape
    one_hot = nn.functional.one_hot(tokens.reshape(members, -1), vocabulary).to(table.dtype)
    return torch.bmm(one_hot, table).view(*tokens.shape, dim)


class MemberLSTM(nn.Module):
    """``members`` independent single-layer LSTMs over token sequences, initialised like ``nn.LSTM``.

    A token's input contribution ``embedding @ W_ih`` depends on the token alone, so it is computed once per
    vocabulary entry (:meth:`input_gates`) and gathered, instead of a matrix product per time step.
    """

    def __init__(self, members: int, input_size: int, hidden_size: int) -> None:
        super().__init__()
        bound = 1 / math.sqrt(hidden_size)
        self.hidden_size = hidden_size
        self.weight_ih = _uniform((members, input_size, 4 * hidden_size), bound)
        self.weight_hh = _uniform((members, hidden_size, 4 * hidden_size), bound)
        self.bias = nn.Parameter(
            torch.empty(members, 1, 4 * hidden_size).uniform_(-bound, bound)
            + torch.empty(members, 1, 4 * hidden_size).uniform_(-bound, bound)
        )

    def input_gates(self, table: torch.Tensor) -> torch.Tensor:
        """``(M, V, input_size)`` embedding table -> ``(M, V, 4H)`` gate contributions, bias included."""
        return torch.baddbmm(self.bias, table, self.weight_ih)

    def step(self, gates_in: torch.Tensor, h: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One time step: ``(M, n, 4H)`` input gates and ``(M, n, H)`` states -> the next ``(h, c)``."""
        gates = torch.baddbmm(gates_in, h, self.weight_hh)
        i, f, o, g = gates.chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c

    def run(self, gates_in: torch.Tensor, lengths: torch.Tensor, readout: str = "final") -> torch.Tensor:
        """Run ``(M, n, T, 4H)`` input gates; return one ``(M, n, H)`` state per sequence.

        ``lengths`` ``(M, n)`` counts the steps of each sequence; steps after it are computed but not read.
        ``readout`` ``"final"`` returns the hidden state after each sequence's last step, ``"mean"`` the mean of its
        hidden states over its steps.
        """
        members, count, _, _ = gates_in.shape
        h = gates_in.new_zeros(members, count, self.hidden_size)
        c = torch.zeros_like(h)
        states = []
        for gates_t in gates_in.unbind(2):
            h, c = self.step(gates_t, h, c)
            states.append(h)
        stacked = torch.stack(states, dim=2)  # (M, n, T, H)
        if readout == "mean":
            mask = torch.arange(stacked.shape[2]) < lengths.unsqueeze(-1)  # (M, n, T)
            return (stacked * mask.unsqueeze(-1)).sum(2) / lengths.unsqueeze(-1)
        last = (lengths - 1).view(members, count, 1, 1).expand(-1, -1, 1, self.hidden_size)
        return stacked.gather(2, last).squeeze(2)
