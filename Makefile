# The README's set-up: `make run` brings the stack up, `make test` runs every test.
SHELL := /bin/bash
.PHONY: run test stop bench build deps

deps:
	deploy/local/install-deps.sh

build: deps
	swift build -c release

run: build
	deploy/local/run.sh

stop:
	deploy/local/stop.sh

test: deps
	swift build --build-tests
	swift test --no-parallel 2>&1 | tee .build/test.log; exit $${PIPESTATUS[0]}

bench: build
	deploy/local/bench.sh
