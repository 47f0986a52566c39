# Cutroom: the two commands.
#
#   make run    set up a fresh machine, build, and run cutroom (ARGS=... passes arguments)
#   make test   set up a fresh machine with the test readers, and run every test
#
# Both are idempotent: setup installs only what is missing.

CARGO ?= cargo
ARGS ?= info assets/examples/demo.otio

.PHONY: run test setup test-deps build check fmt clippy fuzz

setup:
	scripts/setup.sh

test-deps:
	scripts/setup.sh --test

build: setup
	$(CARGO) build --release -p cutroom-cli

run: build
	./target/release/cutroom $(ARGS)

test: test-deps
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc
	scripts/gui-smoke.sh

fmt:
	$(CARGO) fmt --all

clippy: setup
	$(CARGO) clippy --workspace --all-targets -- -D warnings

check: test
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fuzz:
	scripts/fuzz.sh
