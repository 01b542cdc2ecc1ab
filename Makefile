PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install typecheck clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/presswatch demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# mypy by the installed names: presswatch.crawler is crawler/, and so on (see [tool.mypy])
typecheck: $(STAMP)
	mkdir -p build/typecheck/presswatch
	for package in crawler storage scheduler; do ln -sfn ../../../$$package build/typecheck/presswatch/$$package; done
	ln -sfn ../../../fixtures/demo build/typecheck/presswatch/demo
	$(BIN)/mypy

clean:
	rm -rf $(VENV) presswatch.db presswatch.db-wal presswatch.db-shm presswatch.db-reserve \
		presswatch-demo.db presswatch-demo.db-wal presswatch-demo.db-shm presswatch-demo.db-reserve
