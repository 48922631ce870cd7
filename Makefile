# Everything runs inside .venv, created from nothing on first use.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install test lint docs fit search bench gpu-check nasbench201 nasbench201-pareto clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(INSTALLED)

# Two test processes, one torch thread each (two threads each on two cores would slow both down many times over);
# a test file runs whole in one process, so its module fixtures are made once.
test: $(INSTALLED)
	OMP_NUM_THREADS=1 $(PYTHON) -m pytest -n 2 --dist loadfile

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The documentation site (README, docs/, results and the API reference from the docstrings) into site/; any warning,
# a broken link or a page missing from the navigation included, fails the build.
docs: $(INSTALLED)
	$(VENV)/bin/mkdocs build --strict --site-dir site

fit: $(INSTALLED)
	$(VENV)/bin/pnas fit --config configs/fit/pnasnet5_digits.yaml

# The same code and versions train to different accuracies under another thread count or CPU instruction set, so
# the quickstart pins both: one thread, and the numeric paths every x86-64 CPU has (MKL, ATen and oneDNN).
PORTABLE_CPU := OMP_NUM_THREADS=1 MKL_CBWR=COMPATIBLE ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41
search: $(INSTALLED)
	$(PORTABLE_CPU) $(VENV)/bin/pnas search --config configs/search/digits.yaml

bench: $(INSTALLED)
	$(PYTHON) benchmarks/expand_beam.py
	$(PYTHON) benchmarks/progressive_step.py
	$(PYTHON) benchmarks/cell_costs.py
	$(PYTHON) benchmarks/memory.py
	$(PYTHON) benchmarks/surrogate_fit.py
	$(PYTHON) benchmarks/surrogate_quality.py --json benchmarks/results/surrogate_quality.json
	$(PYTHON) benchmarks/candidate_throughput.py --json benchmarks/results/candidate_throughput.json
	$(PYTHON) benchmarks/final_recipe.py --steps 7 --json benchmarks/results/final_recipe.json

# On a GPU machine: the CUDA tests, candidate throughput and a short search with 4 workers on the GPU, in at most 8
# minutes; results in benchmarks/results/gpu_check.{json,md}. Without a GPU the GPU parts are skipped, saying why.
gpu-check: $(INSTALLED)
	$(PYTHON) benchmarks/gpu_check.py

# Tune each strategy on val_acc_12 (seeds 10000..10009), then strategies x 30 seeds x budgets on the NAS-Bench-201
# CIFAR-10 table (read from ../shared/data, never copied); JSON, Markdown report with the NAS checklist, figure.
NB201_TABLE ?= ../shared/data/nasbench201/cifar10.csv
nasbench201: $(INSTALLED)
	$(VENV)/bin/pnas benchmark --table $(NB201_TABLE) --signal val_acc_12 --report-column test_acc_200 \
		--budgets 25,50,100,150 --runs 30 --tune-runs 10 --strategies progressive,random,rea,local --workers 2 \
		--json benchmarks/results/nasbench201.json --report benchmarks/results/nasbench201.md \
		--plot benchmarks/figures/nasbench201.png

# The same protocol, multi-objective: fronts of val_acc_12 against params_m, measured by their hypervolume in
# (test_acc_200, params_m); progressive search in Pareto mode, random search and NSGA-II.
nasbench201-pareto: $(INSTALLED)
	$(VENV)/bin/pnas benchmark --table $(NB201_TABLE) --signal val_acc_12 --report-column test_acc_200 \
		--cost params_m --budgets 25,50,100,150 --runs 30 --tune-runs 10 --workers 2 \
		--json benchmarks/results/nasbench201_pareto.json --report benchmarks/results/nasbench201_pareto.md \
		--plot benchmarks/figures/nasbench201_pareto.png

clean:
	rm -rf runs site .pytest_cache .ruff_cache
