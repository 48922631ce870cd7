"""Every module imports first (no import cycles), and the torch-free parts stay free of torch and Lightning."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pnas
import surrogate

#: Every module of the two packages, by dotted name.
MODULES = sorted(
    module.name
    for package in (pnas, surrogate)
    for module in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")
) + ["pnas", "surrogate"]

# One interpreter, each module imported with none of the project's modules loaded before it: an import cycle
# among them shows up exactly as in a fresh interpreter (third-party packages stay loaded, which keeps this fast).
_EACH_FIRST = """
import importlib, sys
failures = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.split(".")[0] in ("pnas", "surrogate")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as error:
        failures.append(f"{name}: {type(error).__name__}: {error}")
print("\\n".join(failures))
sys.exit(1 if failures else 0)
"""

#: Modules that must not load torch or Lightning: the space, the table benchmark path, the interfaces,
#: the readers of user files.
TORCH_FREE = [
    "pnas",
    "pnas.files",
    "pnas.config_files",
    "pnas.space",
    "pnas.search",
    "pnas.search.evaluation",
    "pnas.search.strategy",
    "pnas.search.spaces",
    "pnas.search.nasbench201",
    "pnas.search.table",
    "pnas.search.baselines",
    "pnas.search.steps",
    "surrogate",
]


def test_every_module_imports_first():
    assert len(MODULES) > 50 and "pnas.search.loop" in MODULES and "surrogate.lstm" in MODULES
    finished = subprocess.run(
        [sys.executable, "-c", _EACH_FIRST, *MODULES], capture_output=True, text=True, timeout=300
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]


def test_the_torch_free_modules_load_neither_torch_nor_lightning():
    heavy = "{'torch', 'pytorch_lightning'}"
    statement = f"import sys; import {', '.join(TORCH_FREE)}; print(sorted({heavy} & set(sys.modules)))"
    finished = subprocess.run([sys.executable, "-c", statement], capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert finished.stdout.strip() == "[]"
