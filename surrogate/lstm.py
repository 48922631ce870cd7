"""The paper's LSTM surrogate: tokens ``input_1, input_2, op_1, op_2`` per block, final state -> linear -> sigmoid."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from surrogate.encoding import CellTokens
from surrogate.ensemble import EnsembleSurrogate

__all__ = ["LSTMSurrogate"]

_TOKEN_ORDER = [0, 2, 1, 3]  # (input_1, op_1, input_2, op_2) -> input_1, input_2, op_1, op_2


class _LSTMRegressor(nn.Module):
    def __init__(self, num_inputs: int, num_ops: int, embedding_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_embedding = nn.Embedding(num_inputs, embedding_size)
        self.op_embedding = nn.Embedding(num_ops, embedding_size)
        self.lstm = nn.LSTM(embedding_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def embed(self, blocks: torch.Tensor) -> torch.Tensor:
        """``(n, B, 4)`` blocks -> ``(n, 4B, E)`` token embeddings in the LSTM's token order."""
        tokens = blocks[..., _TOKEN_ORDER]
        embedded = torch.cat([self.input_embedding(tokens[..., :2]), self.op_embedding(tokens[..., 2:])], dim=2)
        return embedded.flatten(1, 2)

    def forward(self, blocks: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        # The LSTM is causal, so the state after a cell's last token ignores the padding that follows it.
        outputs, _ = self.lstm(self.embed(blocks))
        final = outputs[torch.arange(len(lengths)), 4 * lengths - 1]
        return self.head(final).squeeze(-1)


class LSTMSurrogate(EnsembleSurrogate):
    """Ensemble of LSTM accuracy predictors (PNAS, Liu et al. 2018).

    Each block is read as 4 tokens ``input_1, input_2, op_1, op_2``; inputs and ops have separate embedding tables.
    The LSTM's final hidden state goes through a linear layer and a sigmoid. Members are trained with L1 loss and
    Adam, each on 4/5 of the data (with the default 5 members and at least 10 cells; else on all of it).

    Prediction shares work between cells with a common prefix (all children of one parent share the parent's
    tokens): each distinct token prefix is run through the LSTM once, for all members at once.

    Takes the :class:`~surrogate.ensemble.EnsembleSurrogate` arguments (``num_inputs``, ``num_ops``,
    ``num_members``, ``embedding_size``, ``hidden_size``, ``epochs``, ``seed``, ...).
    """

    def _make_member(self) -> nn.Module:
        return _LSTMRegressor(self.num_inputs, self.num_ops, self.embedding_size, self.hidden_size)

    def _predict_logits(self, tokens: CellTokens, chunk_rows: int = 32768) -> torch.Tensor:
        """Run every distinct token prefix once, for all members together; ``(num_members, n)`` logits."""
        members: list[_LSTMRegressor] = self.members  # type: ignore[assignment]
        w_hh = torch.stack([m.lstm.weight_hh_l0.T for m in members])  # (M, H, 4H)
        bias = torch.stack([m.lstm.bias_ih_l0 + m.lstm.bias_hh_l0 for m in members])  # (M, 4H)
        # Input projections of every vocabulary entry: a table lookup replaces the input matmul.
        tables = [
            torch.stack([emb(m) @ m.lstm.weight_ih_l0.T for m in members]) + bias[:, None]
            for emb in (lambda m: m.input_embedding.weight, lambda m: m.op_embedding.weight)
        ]
        head_w = torch.stack([m.head.weight[0] for m in members])  # (M, H)
        head_b = torch.stack([m.head.bias[0] for m in members])  # (M,)

        count = len(tokens)
        sequence = tokens.blocks[:, :, _TOKEN_ORDER].reshape(count, -1)
        steps = 4 * tokens.lengths
        vocabulary = max(self.num_inputs, self.num_ops)
        num_members, hidden = len(members), self.hidden_size
        prefix = np.zeros(count, dtype=np.int64)  # id of each cell's prefix among the previous step's prefixes
        h = torch.zeros(num_members, 1, hidden)
        c = torch.zeros(num_members, 1, hidden)
        logits = torch.empty(num_members, count)
        for t in range(int(steps.max())):
            active = np.flatnonzero(steps > t)
            keys = prefix[active] * vocabulary + sequence[active, t]
            unique, inverse = np.unique(keys, return_inverse=True)
            parents = torch.from_numpy(unique // vocabulary)
            table = tables[0] if t % 4 < 2 else tables[1]
            token = torch.from_numpy(unique % vocabulary)
            ending = steps[active] == t + 1
            need_state = not ending.all()
            new_h = torch.empty(num_members, len(unique), hidden) if need_state else None
            new_c = torch.empty(num_members, len(unique), hidden) if need_state else None
            step_logits = torch.empty(num_members, len(unique))
            for rows in torch.arange(len(unique)).split(chunk_rows):
                gates = table[:, token[rows]] + torch.bmm(h[:, parents[rows]], w_hh)
                i, f, g, o = gates.chunk(4, dim=2)
                c_rows = torch.sigmoid(f) * c[:, parents[rows]] + torch.sigmoid(i) * torch.tanh(g)
                h_rows = torch.sigmoid(o) * torch.tanh(c_rows)
                step_logits[:, rows] = torch.einsum("mnh,mh->mn", h_rows, head_w) + head_b[:, None]
                if need_state:
                    new_h[:, rows], new_c[:, rows] = h_rows, c_rows
            logits[:, active[ending]] = step_logits[:, inverse[ending]]
            if need_state:
                h, c = new_h, new_c
            prefix[active] = inverse
        return logits
