# Top-level driver: `make` builds, `make run` starts a dev instance, `make check` runs every test.
SHELL := /bin/bash
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps deps-check build run check unit e2e sanitize fuzz lint bench clean

all: build

deps:
	@scripts/install-deps.sh build

deps-check:
	@scripts/install-deps.sh check

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Dev instance: local anvil chain with the real PoCo contracts, embedded SQLite store.
run: build deps-check
	@scripts/dev-run.sh

# Every test: lint, unit (cmocka), sanitizers, fuzz smoke, end-to-end with the real SDK.
check: deps-check build
	@scripts/check.sh

unit: build
	@cd $(BUILD) && ctest --output-on-failure

bench: deps build
	@scripts/install-deps.sh bench
	@cmake --build $(BUILD) -j $(JOBS) --target sms-loadgen sms-floor
	@bench/run.sh

clean:
	rm -rf build build-*
