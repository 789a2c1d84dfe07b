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
	mkdir -p out
	$(BIN)/talkinghead tts "Hello! I'm talkinghead. On March 3rd, 2024 I said 42 words in 3.5 seconds." -o out/demo.wav --timings out/demo.json
	@echo "wrote out/demo.wav and out/demo.json"

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/alignment_accuracy.py --mismatch
	$(BIN)/python benchmarks/tts_timings.py

clean:
	rm -rf $(VENV) out build *.egg-info src/*.egg-info
