"""The paper's LSTM surrogate: tokens ``input_1, input_2, op_1, op_2`` per block, LSTM readout -> head -> sigmoid."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from surrogate.batched import MemberEmbedding, MemberLSTM, lookup
from surrogate.encoding import CellTokens
from surrogate.ensemble import EnsembleSurrogate

__all__ = ["LSTMSurrogate"]

_TOKEN_ORDER = [0, 2, 1, 3]  # (input_1, op_1, input_2, op_2) -> input_1, input_2, op_1, op_2


class _LSTMEncoder(nn.Module):
    """Per member: separate input and op embeddings, an LSTM over the tokens, and its readout (mean or final)."""

    def __init__(
        self, members: int, num_inputs: int, num_ops: int, embedding_size: int, hidden_size: int, readout: str
    ) -> None:
        super().__init__()
        self.readout = readout
        self.input_embedding = MemberEmbedding(members, num_inputs, embedding_size)
        self.op_embedding = MemberEmbedding(members, num_ops, embedding_size)
        self.lstm = MemberLSTM(members, embedding_size, hidden_size)

    def gate_tables(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Input-gate contributions of every input token and every op token: ``(M, V, 4H)`` each."""
        return self.lstm.input_gates(self.input_embedding.weight), self.lstm.input_gates(self.op_embedding.weight)

    def forward(self, blocks: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        inputs_table, ops_table = self.gate_tables()
        tokens = blocks[..., _TOKEN_ORDER]  # (M, n, B, 4)
        gates = torch.cat([lookup(inputs_table, tokens[..., :2]), lookup(ops_table, tokens[..., 2:])], dim=3)
        return self.lstm.run(gates.flatten(2, 3), 4 * lengths, self.readout)


class LSTMSurrogate(EnsembleSurrogate):
    """Ensemble of LSTM accuracy predictors (PNAS, Liu et al. 2018).

    Each block is read as 4 tokens ``input_1, input_2, op_1, op_2``; inputs and ops have separate embedding tables
    (size 100, as in the paper). The LSTM's readout, with any side features, goes through a head and a sigmoid.
    Members are trained with L1 loss, each on 4/5 of the data (with the default 5 members and at least 10 cells;
    else on all of it), together, for a fixed budget of optimizer steps, each keeping its best weights on its
    held-out fifth.

    ``readout="final"`` reads the LSTM's state after the cell's last token, as the paper does; the default
    ``"mean"`` reads the mean of its states over all the cell's tokens. The mean gives every token a short path to
    the output: on the NAS-Bench-301 DARTS sample (8-block cells) the final-state readout ranks held-out cells no
    better than chance, the mean readout best of all predictors tried (``benchmarks/surrogate_quality.py``).
    The hidden size defaults to 32 rather than the paper's 100: Kendall tau 0.01-0.02 lower on NAS-Bench-201,
    equal on the DARTS sample, for about a third of the fitting time. Fitted on fewer than ``head_hidden_from`` (40)
    cells the head is the paper's linear layer; on more, a ReLU layer of ``head_hidden`` (256) units comes before it
    and the fit takes ``head_hidden_step_factor`` (1.5) times ``steps`` (100) optimizer steps. With a few hundred cells
    that head ranks NAS-Bench-201 cells much better than the linear one; fitted on a few dozen it ranks no better and
    sends the search into worse regions (``docs/surrogate.md``). ``head_hidden=0`` keeps the linear head throughout.

    Prediction shares work between cells with a common prefix (all children of one parent share the parent's
    tokens): each distinct token prefix is run through the LSTM once, for all members at once.

    Args:
        num_inputs: Input vocabulary size.
        num_ops: Operation vocabulary size.
        readout: ``"mean"`` or ``"final"`` (the paper's).
        hidden_size: The LSTM's hidden size.
        head_hidden: Units of the head's ReLU layer, in fits on ``head_hidden_from`` cells or more (0: none).
        head_hidden_from: The fewest cells a fit with the ReLU layer is made on.
        head_hidden_step_factor: A fit with the ReLU layer takes this many times ``steps`` optimizer steps.
        **settings: The other :class:`~surrogate.ensemble.EnsembleSurrogate` arguments (``num_members``,
            ``embedding_size``, ``steps``, ``learning_rate``, ``seed``, ...).
    """

    def __init__(
        self,
        num_inputs: int,
        num_ops: int,
        *,
        readout: str = "mean",
        hidden_size: int = 32,
        head_hidden: int = 256,
        head_hidden_from: int = 40,
        head_hidden_step_factor: float = 1.5,
        **settings: Any,
    ) -> None:
        if readout not in ("final", "mean"):
            raise ValueError(f"readout must be 'final' or 'mean', got {readout!r}")
        super().__init__(
            num_inputs,
            num_ops,
            hidden_size=hidden_size,
            head_hidden=head_hidden,
            head_hidden_from=head_hidden_from,
            head_hidden_step_factor=head_hidden_step_factor,
            **settings,
        )
        self.readout = readout

    def _make_encoder(self) -> tuple[nn.Module, int]:
        members, size = self.num_members, self.hidden_size
        return _LSTMEncoder(members, self.num_inputs, self.num_ops, self.embedding_size, size, self.readout), size

    def _predict_logits(self, tokens: CellTokens, features: np.ndarray | None, chunk_rows: int = 32768) -> torch.Tensor:
        """Run every distinct token prefix once, for all members together; ``(num_members, n)`` logits.

        A linear head folds into each step (one dot product per prefix, the side features' share added at the end);
        a head with a hidden layer needs each cell's own side features, so each cell's readout is kept for it.
        """
        network = self.network
        assert network is not None
        encoder: _LSTMEncoder = network.encoder  # type: ignore[assignment]
        tables = encoder.gate_tables()
        hidden = network.size
        linear = network.hidden is None
        head_w = network.head.weight[:, :hidden, 0] if linear else None  # (M, H): the weights on the readout
        width = () if linear else (hidden,)
        count = len(tokens)
        sequence = tokens.blocks[:, :, _TOKEN_ORDER].reshape(count, -1)
        steps = 4 * tokens.lengths
        vocabulary = max(self.num_inputs, self.num_ops)
        num_members = self.num_members
        prefix = np.zeros(count, dtype=np.int64)  # id of each cell's prefix among the previous step's prefixes
        h = torch.zeros(num_members, 1, hidden)
        c = torch.zeros(num_members, 1, hidden)
        total = torch.zeros(num_members, 1, hidden)  # sum of the hidden states so far (the "mean" readout)
        mean_readout = self.readout == "mean"
        outputs = torch.empty(num_members, count, *width)  # per cell: its logit's share, or its readout
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
            new_total = torch.empty(num_members, len(unique), hidden) if need_state and mean_readout else None
            step_outputs = torch.empty(num_members, len(unique), *width)
            for rows in torch.arange(len(unique)).split(chunk_rows):
                h_rows, c_rows = encoder.lstm.step(table[:, token[rows]], h[:, parents[rows]], c[:, parents[rows]])
                readout = h_rows
                if mean_readout:
                    total_rows = total[:, parents[rows]] + h_rows
                    readout = total_rows / (t + 1)
                    if need_state:
                        new_total[:, rows] = total_rows
                step_outputs[:, rows] = torch.einsum("mnh,mh->mn", readout, head_w) if linear else readout
                if need_state:
                    new_h[:, rows], new_c[:, rows] = h_rows, c_rows
            outputs[:, active[ending]] = step_outputs[:, inverse[ending]]
            if need_state:
                h, c = new_h, new_c
                total = new_total if mean_readout else total
            prefix[active] = inverse
        x = None if features is None else torch.from_numpy(features)
        if linear:
            bias = network.head.bias[:, 0, 0][:, None]  # (M, 1)
            if x is not None:
                bias = bias + network.head.weight[:, hidden:, 0] @ x.T  # (M, n)
            return outputs + bias
        logits = torch.empty(num_members, count)
        for rows in torch.arange(count).split(chunk_rows):
            side = None if x is None else x[rows].expand(num_members, -1, -1)
            logits[:, rows] = network.read_out(outputs[:, rows], side)
        return logits
