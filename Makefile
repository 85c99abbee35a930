# webcare: `make run` serves the demo on SQLite, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint typecheck bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# torch's CPU build first: the embeddings extra would otherwise pull a multi-GB CUDA build
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev,embeddings]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/webcare demo
	$(BIN)/webcare serve

test: $(STAMP)
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
		{ echo "installing Debian's chromium for the browser tests"; \
		  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null; }
	$(BIN)/pytest

check: $(STAMP)
	$(BIN)/ruff check bot responders tests bench alembic tools
	$(BIN)/ruff format --check bot responders tests bench tools
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
