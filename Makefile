# Thin wrapper over CMake. `make run` and `make test` do all set-up from a fresh clone.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME  ?= 60
JOBS       ?= $(shell nproc)
SCENARIO   ?= scenarios/default.yaml
CMAKE_GEN  := -G Ninja
FIRSTWALL  := $(BUILD)/tools/firstwall

.PHONY: all deps configure build run test test-all figures bench asan-test fuzz clean format

all: build

deps:
	@bash tools/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@mkdir -p results
	$(FIRSTWALL) run $(SCENARIO) -o results/default.h5

# The quick suite (what CI runs); slow tests carry the ctest label "slow".
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE slow

test-all: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The README's figures, docs/figures/*.png, from the shipped scenarios: a run, a sweep drawn as
# a wall map, a wall search (tools/analysis/firstwall/make_figures.py; files in results/figures).
figures: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target firstwall
	PYTHONPATH=tools/analysis /usr/bin/python3 -B -m firstwall.make_figures \
	    --firstwall $(FIRSTWALL) --out docs/figures --work results/figures -j $(JOBS)

bench: build
	@bash tools/bench/run.sh $(BUILD)

asan-test: deps
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFIRSTWALL_SANITIZE=ON -DFIRSTWALL_BENCH=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS) -LE slow

# libFuzzer over the quantity parser, the scenario loader (YAML tree; whole) and the study reader (tools/fuzz/),
# built with clang-14 and ASan+UBSan; runs FUZZ_TIME seconds in all, non-zero on a crash.
fuzz: deps
	cmake -S . -B $(FUZZ_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DFIRSTWALL_FUZZ=ON \
	  -DFIRSTWALL_BENCH=OFF -DFIRSTWALL_MPI=OFF -DFIRSTWALL_NATIVE=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_quantity fuzz_config fuzz_scenario fuzz_study
	bash tools/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TIME)

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
