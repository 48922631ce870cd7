"""One search's run.

The loop (``loop``), its SQLite store (``store``), the run directory's lock (``lock``), clean stops on signals
(``interrupts``) and what is recorded (``records``).
"""
