# Prunescope: the two commands that matter are `make demo` and `make test`.
# Each installs missing Debian packages, configures (Release, ccache, precompiled headers) and builds.

BUILD      ?= build
BUILD_TYPE ?= Release
JOBS       ?= $(shell nproc)
CLI         = $(BUILD)/app/prunescope-cli
GUI         = $(BUILD)/app/prunescope
DEMO_DIR   ?= prunescope-demo

.PHONY: all deps configure build test test-fast demo package clean format reference-real

all: build

deps:
	@scripts/install-deps.sh
	@scripts/fetch-models.sh > /dev/null

# Recomputes the real-model reference numbers (tests/data/real) with Hugging Face transformers, in
# a virtual environment made from scripts/requirements-reference.txt. Only when asked.
reference-real: build
	@python3 tests/reference/real_model_reference.py --venv "$$(scripts/python-env.sh reference)" \
		--gguf "$$(scripts/fetch-models.sh)"
	@python3 tests/reference/real_model_reference.py --venv "$$(scripts/python-env.sh reference)" \
		--gguf "$$(scripts/fetch-models.sh)" --export-check $(CLI)

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) > $(BUILD).configure.log 2>&1 || \
		(cat $(BUILD).configure.log; exit 1)
	@rm -f $(BUILD).configure.log

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@cd $(BUILD) && QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j $(JOBS)

# Everything but the tests labelled `slow`.
test-fast: build
	@cd $(BUILD) && QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j $(JOBS) -LE slow

demo: build
	@$(CLI) demo --quick --out $(DEMO_DIR)
	@scripts/open-demo-gui.sh $(GUI) $(DEMO_DIR)

package: build
	@cd $(BUILD) && cpack

format:
	@find app core ui tests -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	@rm -rf $(BUILD)
