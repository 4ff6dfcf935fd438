# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format report check-results bench clean

install: $(STAMP)  ## create .venv from the exact pins (a no-op when up to date)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: install  ## validate the raw data and run the whole analysis
	$(BIN)/snakemake --cores all

lint: install  ## ruff, snakefmt and snakemake --lint; fails on any finding
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint

test: install lint  ## every test and every linter
	$(BIN)/python -m pytest

report: run  ## the Snakemake report with every figure and table: results/report.html
	$(BIN)/snakemake --report results/report.html

check-results: install  ## regenerate every committed result from scratch; fail if any differs
	$(BIN)/snakemake --cores all --forceall --quiet
	git diff --exit-code --stat -- results data/processed
	test -z "$$(git status --porcelain --untracked-files=all -- results data/processed)" || \
	  { git status --short -- results data/processed; echo "untracked results: commit them"; exit 1; }

bench: install  ## engine and pipeline benchmarks (R metafor side by side where Rscript exists)
	$(BIN)/python bench/bench_engine.py --n 10000 --n-one 1000 --scalar-n 200 --r-n 200 --r-n-one 50
	OPENBLAS_NUM_THREADS=1 $(BIN)/python bench/bench_bayes.py --k 1 10 50 300
	$(BIN)/python bench/bench_signals.py --trials 30 --terms 400 --outcomes 4
	$(BIN)/python bench/bench_pipeline.py --studies 300 --outcomes 40

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/snakefmt Snakefile workflow/rules

clean:
	rm -rf .snakemake logs benchmarks
