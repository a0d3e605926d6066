# Two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
STORE  ?= var/store

.PHONY: run test lint typecheck pytest assets bytecode browser virtuoso allocator bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install only when the project's metadata changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $@

# Front-end assets come from the npm registry through web/package-lock.json.
web/static/vendor/.built: web/package.json web/package-lock.json web/build-assets.sh
	cd web && npm ci --no-audit --no-fund --loglevel=error
	sh web/build-assets.sh
	touch $@

assets: web/static/vendor/.built

# The project's own modules compiled ahead (only the changed ones): an editable install
# leaves them to the first import, and where Python writes no bytecode
# (PYTHONDONTWRITEBYTECODE) every start would compile them again, a quarter of a
# second of each server's start.
bytecode: $(VENV)/.installed
	$(BIN)/python -m compileall -q src

# Debian's Chromium drives the browser tests; installed once per machine.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Debian's Virtuoso: the tests start one beside `oxigraph serve`; installed once per machine.
virtuoso:
	@command -v virtuoso-t >/dev/null 2>&1 || { \
	  echo "Installing Debian's virtuoso-opensource-7-bin for the remote-store tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    virtuoso-opensource-7-bin; }

# Debian's mimalloc: `civicgraph serve` and `load` run on it when it is installed
# (src/civicgraph/allocator.py), and on the C library's allocator otherwise.
allocator:
	@ldconfig -p | grep -q libmimalloc || { \
	  echo "Installing Debian's libmimalloc2.0, the allocator the server and loader prefer"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    libmimalloc2.0 || echo "Not installed: the server runs on the C library's allocator"; }

run: $(VENV)/.installed assets bytecode allocator
	$(BIN)/civicgraph serve --host $(HOST) --port $(PORT) --store $(STORE)

# JavaScript is linted by the eslint that web/package-lock.json pins (installed by `assets`).
lint: $(VENV)/.installed assets
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	cd web && node_modules/.bin/eslint static

typecheck: $(VENV)/.installed
	$(BIN)/mypy src bench

# Tests that bound the clock on the wall run alone, after the rest run three at a time
# (most of their time goes to waiting on servers and browsers).
pytest: $(VENV)/.installed assets bytecode browser virtuoso allocator
	$(BIN)/python -m pytest -m "not timed" -n 3 --dist worksteal
	$(BIN)/python -m pytest -m timed

test: lint typecheck pytest

bench: $(VENV)/.installed assets bytecode virtuoso allocator
	$(BIN)/python -m bench

screenshots: $(VENV)/.installed assets browser
	$(BIN)/python -m tests.browser.screenshots

clean:
	rm -rf $(VENV) var web/node_modules web/static/vendor
