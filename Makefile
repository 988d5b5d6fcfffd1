PYTHON ?= python3

.PHONY: install demo test lint bench

install:
	$(PYTHON) -m pip install --quiet -e ".[dev]"

demo: install
	keras-hpo demo

test: install
	$(PYTHON) -m pytest

lint:
	ruff check keras_hpo tests benchmarks

bench:
	$(PYTHON) -m pip install --quiet -e ".[bench]"
	for script in hyperopt_vs_raw bayes_vs_peers metaheuristics_vs_peers bandit_vs_random keras_overhead keras_memory; do \
		nice -n 5 $(PYTHON) benchmarks/$$script.py || exit 1; \
	done
