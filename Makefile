# hgk — two commands do everything on a fresh machine:
#   make audit   set up .venv, generate the demo export, run the whole city audit (counties, spot check, city summary)
#   make test    set up .venv, run the whole test suite (pytest + nbval on both notebooks)
#   make lab     set up .venv, open JupyterLab on the repository with the hgk kernel (run one county by hand)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HGK := $(VENV)/bin/hgk
STAMP := $(VENV)/.hgk-setup
YEAR ?= 2019
DATA ?= data/raw/$(YEAR)
OUT ?= outputs
WORKERS ?= 2
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg

.PHONY: setup audit test test-py test-nb bench lab clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	$(PY) -m ipykernel install --sys-prefix --name hgk --display-name "Python (hgk)" >/dev/null
	touch $(STAMP)

audit: setup
	$(HGK) demo-data --out $(DATA)
	$(HGK) audit --data $(DATA) --year $(YEAR) --out $(OUT) --workers $(WORKERS)
	$(HGK) demo-inspect --list $(OUT)/$(YEAR)/市汇总/抽查名单_$(YEAR).xlsx --truth $(DATA)_truth \
		--out $(OUT)/$(YEAR)/市汇总/抽查名单_$(YEAR)_已填写.xlsx
	$(HGK) spot-check evaluate --results $(OUT)/$(YEAR)/市汇总/抽查名单_$(YEAR)_已填写.xlsx --out $(OUT)
	$(HGK) audit --data $(DATA) --year $(YEAR) --out $(OUT) --workers $(WORKERS) --resume
	@echo "完成：输出在 $(OUT)/$(YEAR)/"

test: setup
	$(PY) -m pytest -q tests
	$(PY) -m pytest -q --nbval-lax --nbval-kernel-name hgk notebooks

lab: setup
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=. --MultiKernelManager.default_kernel_name=hgk notebooks/county_audit.ipynb

bench: setup
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf data/processed/* outputs/* $(DATA) $(DATA)_truth
