# Everything runs inside .venv, created from nothing on first use.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install test lint fit search bench clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

test: $(INSTALLED)
	$(PYTHON) -m pytest

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fit: $(INSTALLED)
	$(VENV)/bin/pnas fit --config configs/fit/pnasnet5_digits.yaml

search: $(INSTALLED)
	$(VENV)/bin/pnas search --config configs/search/digits.yaml

bench: $(INSTALLED)
	$(PYTHON) benchmarks/expand_beam.py
	$(PYTHON) benchmarks/progressive_step.py
	$(PYTHON) benchmarks/memory.py

clean:
	rm -rf runs .pytest_cache .ruff_cache
