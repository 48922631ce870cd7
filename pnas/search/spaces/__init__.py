"""Search spaces as strategies see them.

The interface and the PNAS cell space (``cell_space``), NAS-Bench-201 (``nasbench201``).
"""
