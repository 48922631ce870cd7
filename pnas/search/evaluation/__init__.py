"""How a cell is measured.

The evaluator interface (``base``), training with Lightning (``lightning``), the picklable job that trains
one candidate (``training``) and how a candidate module is built (``candidates``).
"""
