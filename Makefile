# Halton Meter. Every target installs what it needs: a machine with Node and npm is enough.
SHELL := /bin/bash
.DEFAULT_GOAL := build

BUN := node_modules/.bin/bun
TSC := node_modules/.bin/tsc
PREFIX ?= $(HOME)/.local
BINDIR := $(PREFIX)/bin
COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
BUILD_DATE := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
COMPILE := $(BUN) build --compile --minify --bytecode --format=esm \
	--define 'HALTON_BUILD_COMMIT="$(COMMIT)"' --define 'HALTON_BUILD_DATE="$(BUILD_DATE)"'
SOURCES := $(shell find cmd core platform -name '*.ts' 2>/dev/null) package.json
RELEASE_TARGETS ?= linux-x64 linux-arm64 darwin-arm64 darwin-x64
RELEASE_DIR ?= dist/release

.PHONY: deps build release test typecheck install test-deps clean

## deps: Bun (pinned, from npm) and the locked dependencies
deps: node_modules/.deps-stamp
node_modules/.deps-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@$(BUN) --version >/dev/null
	@touch $@

## build: native executables for this machine in dist/
build: dist/halton-meter dist/halton-meter-edge
dist/halton-meter: node_modules/.deps-stamp $(SOURCES)
	$(COMPILE) --outfile $@ cmd/halton-meter.ts
dist/halton-meter-edge: node_modules/.deps-stamp $(SOURCES)
	$(COMPILE) --outfile $@ cmd/edge.ts

## release: both executables for every supported platform, with SHA-256 checksums
## (RELEASE_TARGETS and RELEASE_DIR may be overridden: the installer test builds one target)
release: node_modules/.deps-stamp
	rm -rf $(RELEASE_DIR) && mkdir -p $(RELEASE_DIR)
	for t in $(RELEASE_TARGETS); do \
		$(COMPILE) --target=bun-$$t --outfile $(RELEASE_DIR)/halton-meter-$$t cmd/halton-meter.ts && \
		$(COMPILE) --target=bun-$$t --outfile $(RELEASE_DIR)/halton-meter-edge-$$t cmd/edge.ts || exit 1; \
	done
	cp install.sh $(RELEASE_DIR)/install.sh
	cd $(RELEASE_DIR) && sha256sum halton-meter-* install.sh > SHA256SUMS

## test: the whole suite (installs the tools the tests drive: curl, python3-requests...)
test: build test-deps
	$(BUN) test --timeout 30000

test-deps:
	@bash tests/tools/ensure-deps.sh

## typecheck: strict TypeScript over every file
typecheck: node_modules/.deps-stamp
	$(TSC) --noEmit -p .

## install: build, then install both executables into $(BINDIR)
install: build
	mkdir -p $(BINDIR)
	for b in halton-meter halton-meter-edge; do \
		cp dist/$$b $(BINDIR)/.$$b.new && chmod 755 $(BINDIR)/.$$b.new && mv -f $(BINDIR)/.$$b.new $(BINDIR)/$$b || exit 1; \
	done
	@echo "installed halton-meter and halton-meter-edge in $(BINDIR)"

clean:
	rm -rf dist
