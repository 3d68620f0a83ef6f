# hgk — two commands do everything on a fresh machine:
#   make audit   set up .venv, generate the demo export, run the whole city audit (counties, spot check, city summary)
#                and the campaign loop on it (docs/campaign.md): counties' filled workbooks read back, a later export
#                re-audited (整改不实 / 已销号), the spot check's findings back to the counties, the report
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
LATER ?= data/raw/$(YEAR)-10-25
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
	$(HGK) audit --data $(DATA) --year $(YEAR) --out $(OUT) --workers $(WORKERS) --as-of $(YEAR)-09-25
	$(HGK) demo-inspect --list $(OUT)/$(YEAR)/市汇总/抽查名单_$(YEAR).xlsx --truth $(DATA)_truth \
		--out $(OUT)/$(YEAR)/市汇总/抽查名单_$(YEAR)_已填写.xlsx
	$(HGK) spot-check evaluate --results $(OUT)/$(YEAR)/市汇总/抽查名单_$(YEAR)_已填写.xlsx --out $(OUT) \
		--as-of $(YEAR)-10-10
	$(HGK) demo-campaign --data $(DATA) --out $(OUT) --year $(YEAR) --later $(LATER)
	$(HGK) collect --year $(YEAR) --out $(OUT) --as-of $(YEAR)-10-20
	$(HGK) audit --data $(LATER) --year $(YEAR) --out $(OUT) --workers $(WORKERS) --no-spot-check --as-of $(YEAR)-10-25
	$(HGK) audit --data $(LATER) --year $(YEAR) --out $(OUT) --workers $(WORKERS) --no-spot-check --resume \
		--as-of $(YEAR)-10-31
	@echo "完成：输出在 $(OUT)/$(YEAR)/（整改记录 campaign.sqlite，报告在 市汇总/）"

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q tests
	$(PY) -m pytest -q --nbval-lax --nbval-kernel-name hgk notebooks

lab: setup
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=. --MultiKernelManager.default_kernel_name=hgk notebooks/county_audit.ipynb

bench: setup
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf data/processed/* outputs/* $(DATA) $(DATA)_truth $(LATER) $(LATER)_truth
