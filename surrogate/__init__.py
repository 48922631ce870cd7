"""Accuracy predictors for cell-structured search spaces.

A cell is a sequence of blocks ``(input_1, op_1, input_2, op_2)`` of small non-negative integers. This package
knows nothing of ``pnas``; the predictors it holds can be used for any space of that shape.
"""

from __future__ import annotations

__all__: list[str] = []
