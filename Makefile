# The README's two commands are `make demo` and `make test`; both run `make setup` first.
PY      ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV    := .venv
BIN     := $(VENV)/bin
JARS    := .jars
STAMP   := $(VENV)/.installed
# uv installs the pinned packages (a fresh machine: 75 s with pip, 35 s with uv; docs/benchmarks.md)
UV      := uv==0.13.9
# pyspark comes only as an sdist: its wheel is built here, and stored rather than deflated it takes
# 10 s instead of 19 (400 MB of jars that are zip files already; decision 148)
WHEEL   := -C--build-option=--compression=stored
# uv works in a cache of its own that it removes when done (decision 156): the package index here
# gives no caching headers, so a shared cache kept a fresh ~1.9 GB pyspark build per install
UVPIP   := -m uv pip install -q --no-cache --python $(BIN)/python

.PHONY: setup deps packages-and-jars class-archive demo test lint clean

# the packages and the jars, then the class archive, which needs both
setup: deps
	@$(MAKE) --no-print-directory class-archive

# the packages and the jars side by side (decision 154)
deps:
	@$(MAKE) --no-print-directory -j2 packages-and-jars

packages-and-jars: $(STAMP) $(JARS)/.fetched
	@:

class-archive: $(JARS)/.archived
	@:

$(STAMP): requirements.txt pyproject.toml
	@test -n "$(PY)" || { echo "need python3.11 (or python3 >= 3.11) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q $(UV)
	$(BIN)/python $(UVPIP) $(WHEEL) -r requirements.txt \
	  || $(BIN)/python -m pip install -q -r requirements.txt  # uv unreachable or refused: pip does it
	$(BIN)/python $(UVPIP) --no-deps -e . \
	  || $(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

$(JARS)/.fetched: bootstrap/pom.xml
	bash bootstrap/fetch_jars.sh $(JARS)
	touch $(JARS)/.fetched

# The driver JVM's class archive (framework/platform/class_archive.py): a faster cold start.
$(JARS)/.archived: $(JARS)/.fetched $(STAMP) framework/platform/class_archive.py
	$(BIN)/python -m framework.platform.class_archive
	touch $(JARS)/.archived

demo: setup
	$(BIN)/healthmon demo

lint: deps
	$(BIN)/ruff check framework tests benchmarks bootstrap
	$(BIN)/lint-imports

# Python caches compiled modules here even where the environment says not to (decision 155): the
# suite's ~20 Python processes would otherwise each compile the framework and its packages again.
# No class archive first: the test run builds it beside its unit layer (decision 158,
# tests/class_archive_build.py); the `healthmon` processes tests start wait for it (decision 159).
test: lint
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) $(JARS) .lakehouse
