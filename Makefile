# Prunescope: the two commands that matter are `make demo` and `make test`.
# Each installs missing Debian packages, configures (Release, ccache, precompiled headers) and builds.

BUILD      ?= build
BUILD_TYPE ?= Release
JOBS       ?= $(shell nproc)
CLI         = $(BUILD)/app/prunescope-cli
GUI         = $(BUILD)/app/prunescope
DEMO_DIR   ?= prunescope-demo

.PHONY: all deps configure build test test-fast demo package package-check clean format format-check \
	test-install reference-real test-sanitize fuzz configure-torch2 build-torch2 test-torch2 test-torch2-fast

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

# A second build against LibTorch 2.x with CUDA: the PyPI torch wheel (CUDA 12.x) from the reference
# virtual environment (scripts/python-env.sh, about 7 GB with its nvidia-* wheels), in build-torch2/.
# No nvcc or CUDA toolkit is used: cmake/TorchWheel.cmake links the CUDA 12 runtime the wheel ships
# (nvidia/*/lib beside torch/) and no other, so the executables never load a second libcudart. See
# docs/gpu.md; scripts/gpu-check.sh runs it on a GPU.
BUILD_TORCH2 ?= build-torch2

configure-torch2: deps
	@venv=$$(scripts/python-env.sh reference) && \
	site=$$("$$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') && \
	cmake -S . -B $(BUILD_TORCH2) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
		-DPRUNESCOPE_TORCH_WHEEL="$$site/torch" > $(BUILD_TORCH2).configure.log 2>&1 || \
		(cat $(BUILD_TORCH2).configure.log; exit 1)
	@rm -f $(BUILD_TORCH2).configure.log

build-torch2: configure-torch2
	@cmake --build $(BUILD_TORCH2) -j $(JOBS)

# The whole suite on the CPU, also on a machine with a GPU (CUDA_VISIBLE_DEVICES= hides it, so
# `--device auto` means the CPU, as in the default build); tests labelled gpu must skip (QSKIP) when
# no CUDA device is visible. scripts/gpu-check.sh runs those on the GPU.
test-torch2: build-torch2
	@cd $(BUILD_TORCH2) && CUDA_VISIBLE_DEVICES= QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j $(JOBS)

# What CI runs of the LibTorch 2.x build: everything but the tests labelled slow.
test-torch2-fast: build-torch2
	@cd $(BUILD_TORCH2) && CUDA_VISIBLE_DEVICES= QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j $(JOBS) -LE slow

# The core and CLI tests under AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer, and the
# GUI's engine worker under ThreadSanitizer: two clang builds (build-asan, build-tsan), kept between
# runs; nothing suppressed (docs/hardening.md). Not part of `make test`: ~25 minutes cold.
test-sanitize:
	@JOBS=$(JOBS) scripts/test-sanitize.sh

# libFuzzer targets for every parser of downloaded files (tests/fuzz), FUZZ_SECONDS each, in
# build-asan (clang, ASan + UBSan); prints executions, coverage and findings per target and fails
# on a finding. Skipped when clang's libFuzzer is missing (docs/fuzzing.md).
FUZZ_SECONDS ?= 60
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) scripts/fuzz.sh

demo: build
	@$(CLI) demo --quick --out $(DEMO_DIR)
	@scripts/open-demo-gui.sh $(GUI) $(DEMO_DIR)

package: build
	@cd $(BUILD) && cpack

# The Debian package as Debian's tools check it: lintian (fails on errors, prints warnings),
# desktop-file-validate and appstreamcli validate on the files in the package (docs/packaging.md).
package-check: build
	@scripts/package-check.sh $(BUILD)

# The .deb installed on a clean Debian root (debootstrap; root and the network to a Debian mirror,
# else it skips): the CLI, a one-seed demo, the GUI under Xvfb, then purged with nothing left
# (docs/packaging.md). Writes $(BUILD)/test-install.log and test-install-screenshot.png.
test-install: build
	@scripts/test-install.sh $(BUILD) || [ $$? -eq 77 ]

# Lays out every C++ file as .clang-format says (clang-format 14, Debian 12's); format-check (also
# the ctest test_format) only reports the files that differ.
format:
	@find app core ui tests -name '*.cpp' -o -name '*.h' | xargs clang-format -i

format-check:
	@tests/check_format.sh

clean:
	@rm -rf $(BUILD)
