# The quick start: `make demo` and `make test` on a fresh Debian machine.
# Each target installs what is missing (scripts/install-deps), configures and
# builds with CMake, then does its job. CMake does the real work; this file
# only names the steps.

BUILD      ?= build
ASAN_BUILD ?= build-asan
VG_BUILD   ?= build-valgrind
OUT        ?= out
JOBS       ?= 2
CMAKE_ARGS ?=

.PHONY: all deps build demo test sanitize memcheck fuzz install clean

all: build

deps:
	@sh scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	./$(BUILD)/nnc tutorial --out-dir $(OUT)
	@echo
	@echo "The error curve is in $(OUT)/cumulative_error.png (data: $(OUT)/cumulative_error.csv)."

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The whole test suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
sanitize: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DNNC_SANITIZE=ON -DNNC_WERROR=ON
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j$(JOBS)

# The whole test suite under valgrind memcheck (a portable Debug build in
# $(VG_BUILD); the nnc program started by test_cli is checked too).
memcheck: deps
	BUILD=$(VG_BUILD) JOBS=$(JOBS) sh scripts/memcheck

# Coverage-guided fuzzing of the CSV, IDX, model and text readers (clang + libFuzzer
# + ASan + UBSan), FUZZ_SECONDS per target (60 by default): docs/reliability.md.
fuzz: deps
	sh scripts/fuzz

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(VG_BUILD) $(OUT) build-fuzz $(BASE_BUILD)
	-git worktree prune 2>/dev/null

# The benchmark: nnc against NumPy, PyTorch and FANN on the same work
# (bench/run.py). bench/setup installs the alternatives before the build, so
# that the build finds FANN. `bench-tiny` is the CI's: it only proves that the
# programs build and run, skipping any alternative that is not installed.
.PHONY: bench bench-tiny bench-compare
bench:
	sh bench/setup
	$(MAKE) --no-print-directory build
	/usr/bin/python3 bench/run.py --nnc $(BUILD)/bench/nnc_bench --fann $(BUILD)/bench/fann_bench
	@echo
	@echo "The report is in bench/results.md (raw records: bench/results.jsonl)."

bench-tiny: build
	/usr/bin/python3 bench/run.py --tiny --out $(BUILD)/bench-tiny.md \
	  --nnc $(BUILD)/bench/nnc_bench --fann $(BUILD)/bench/fann_bench

# This tree's nnc against revision BASE's (HEAD~1 by default), alternating in
# one run (bench/compare; the report is bench/compare.md). COMPARE_ARGS go to
# bench/run.py, e.g. COMPARE_ARGS='--reps 3 --cases tutorial,train,infer'.
BASE         ?= HEAD~1
BASE_BUILD   ?= build-base
COMPARE_ARGS ?=
bench-compare: deps
	BUILD=$(BUILD) BASE_BUILD=$(BASE_BUILD) JOBS=$(JOBS) CMAKE_ARGS='$(CMAKE_ARGS)' \
	  sh bench/compare $(BASE) $(COMPARE_ARGS)
