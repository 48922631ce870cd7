"""Where candidates train.

The executor interface and the slot scheduler (``base``), worker processes on this machine (``worker_pool``),
Ray actors (``ray_executor``), and the choice between them (``executors``).
"""
