# Two entry points for a fresh machine: `make demo` and `make test`. Each creates .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/talkinghead say "Hello! I'm talkinghead. On March 3rd, 2024 I said 42 words in 3.5 seconds." -o demo.mp4
	@echo "wrote demo.mp4: the built-in portrait saying the demo sentence"

# The web-page tests drive Debian's chromium with playwright: installed here when missing (as
# root with apt-get, as on CI); elsewhere those tests skip and say why.
test: $(STAMP)
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium for the web-page tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing and not root: the web-page tests will be skipped"; fi; \
	fi
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/report.py

clean:
	rm -rf $(VENV) out demo.mp4 build *.egg-info src/*.egg-info
