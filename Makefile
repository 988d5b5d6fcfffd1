PYTHON ?= python3

.PHONY: install demo test lint bench

install:
	$(PYTHON) -m pip install --quiet -e ".[dev]"

demo: install
	keras-hpo demo

test: install
	$(PYTHON) -m pytest -q

lint:
	ruff check keras_hpo tests benchmarks

bench:
	$(PYTHON) -m pip install --quiet -e ".[bench]"
	$(PYTHON) benchmarks/run_all.py
