"""Hooks into the search loop.

The :class:`~pnas.search.callbacks.base.SearchCallback` interface (``base``) and the callbacks every search
runs: the run files (``run_files``), Pareto mode's files (``pareto_files``), pictures (``pictures``) and
progress bars (``progress``).
"""
