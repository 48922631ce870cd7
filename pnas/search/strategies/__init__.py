"""Search strategies and the cycle they run.

The interface (``base``), the one propose / evaluate / observe cycle (``steps``), the paper's progressive
search (``progressive``), its budgeted variant (``anytime``) and what the two share (``scoring``), the baselines
(``baselines``) and multi-objective evolution (``nsga2``).
"""
