"""One search's run.

The loop (``loop``), its SQLite store (``store``), the run directory (``run_dir``: the check, the paths, the lock of
``lock``), clean stops on signals (``interrupts``) and what is recorded (``records``).
"""
