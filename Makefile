# webcare: `make run` serves the demo on SQLite, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The venv gets exactly this lock: the default install plus the dev and embeddings extras.
# requirements/base.txt and embeddings.txt are the smaller sets the Docker image installs.
LOCK := requirements/dev.txt
PIP_VERSION := 26.3
PIP_TOOLS_VERSION := 7.7.0
COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --constraint requirements/constraints.in $(UPGRADE)

.PHONY: run test check lint typecheck bench lock lock-upgrade clean

$(STAMP): $(LOCK) pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==$(PIP_VERSION)
	@# every package pinned and hash-checked; webcare itself on top, without resolving anything more
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@# fails when pyproject.toml asks for something the lock lacks: run `make lock`
	$(BIN)/python -m pip check
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
	$(BIN)/ruff check bot responders tests bench alembic tools setup.py
	$(BIN)/ruff format --check bot responders tests bench tools setup.py
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

# Refresh the locks after changing dependencies in pyproject.toml (existing pins are kept);
# `make lock-upgrade` takes the newest releases the ranges allow. Commit requirements/ after either.
# dev.txt is resolved first; base.txt and embeddings.txt are its subsets, at the same versions.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==$(PIP_VERSION) pip-tools==$(PIP_TOOLS_VERSION)
	$(COMPILE) --extra dev --extra embeddings --output-file requirements/dev.txt pyproject.toml
	rm -f requirements/embeddings.txt requirements/base.txt
	$(COMPILE) --constraint requirements/dev.txt --extra embeddings --output-file requirements/embeddings.txt pyproject.toml
	$(COMPILE) --constraint requirements/dev.txt --output-file requirements/base.txt pyproject.toml

lock-upgrade: UPGRADE := --upgrade
lock-upgrade: lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache build dist
