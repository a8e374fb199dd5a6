# SUNWscims — every target sets up what it needs (a virtual environment with pinned
# dependencies in .venv) on a fresh Debian machine with Python 3.11+.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint unit e2e package bench clean

$(STAMP): requirements/dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

## The main job: the administrator's guide, run end to end on a two-node stand-in cluster.
demo: $(STAMP)
	$(PY) -m clustersim.demo $(ARGS)

## The whole test suite: lint, the Python 3.9 check of shipped code, then every test.
test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src methods tests bench packaging
	$(PY) tools/check_py39.py

package: $(STAMP)
	$(PY) packaging/build.py

bench: $(STAMP)
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .hypothesis
