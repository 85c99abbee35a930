# webcare: `make run` serves the demo on SQLite, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Two stamps, one venv: `make run` installs the default install only (requirements/base.txt, no
# PyTorch); `make test`, `check` and `bench` add the dev and embeddings extras (requirements/dev.txt),
# which the tests need. Running tests after `make run` upgrades the venv; never the other way round.
BASE_STAMP := $(VENV)/.installed-base
DEV_STAMP := $(VENV)/.installed-dev
BASE_LOCK := requirements/base.txt
DEV_LOCK := requirements/dev.txt
PIP_VERSION := 26.3
PIP_TOOLS_VERSION := 7.7.0
COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --constraint requirements/constraints.in $(UPGRADE)

# every package pinned and hash-checked; webcare itself on top, without resolving anything more;
# pip check fails when pyproject.toml asks for something the lock lacks: run `make lock`.
# $(2) is the build flag: dev.txt pins setuptools, base.txt does not (the product never needs it),
# so the default install builds webcare in pip's isolated build environment.
define install_lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(1)
	$(BIN)/python -m pip install --quiet --no-deps $(2) -e .
	$(BIN)/python -m pip check
endef

.PHONY: run test check lint typecheck bench lock lock-upgrade clean

$(BASE_STAMP): $(BASE_LOCK) pyproject.toml
	$(call install_lock,$(BASE_LOCK))
	@touch $(BASE_STAMP)

# dev.txt holds everything base.txt does, so a dev venv also counts as installed for `make run`
$(DEV_STAMP): $(DEV_LOCK) pyproject.toml
	$(call install_lock,$(DEV_LOCK),--no-build-isolation)
	@touch $(DEV_STAMP) $(BASE_STAMP)

run: $(BASE_STAMP)
	$(BIN)/webcare demo
	$(BIN)/webcare serve

test: $(DEV_STAMP)
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
		{ echo "installing Debian's chromium for the browser tests"; \
		  (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null; }
	$(BIN)/pytest

check: $(DEV_STAMP)
	$(BIN)/ruff check bot responders tests bench alembic tools setup.py
	$(BIN)/ruff format --check bot responders tests bench tools setup.py
	$(BIN)/mypy

bench: $(DEV_STAMP)
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
