# Halton Meter. Every target installs what it needs: a machine with Node and npm is enough.
SHELL := /bin/bash
.DEFAULT_GOAL := build

BUN := node_modules/.bin/bun
TSC := node_modules/.bin/tsc
PREFIX ?= $(HOME)/.local
BINDIR := $(PREFIX)/bin
COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
BUILD_DATE := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
COMPILE_FLAGS := build --compile --minify --bytecode --format=esm --splitting
COMPILE = $(BUN) $(COMPILE_FLAGS) --define 'HALTON_BUILD_COMMIT="$(COMMIT)"' --define 'HALTON_BUILD_DATE="$(BUILD_DATE)"'
# The edge is stamped with the last commit that changed one of its own inputs (and that commit's
# date), not with HEAD: its bytes then change only when its code does, and an upgrade restarts
# the edge (the user-facing port) only then.
EDGE_INPUTS = $(shell $(BUN) build cmd/edge.ts --target=bun --outdir=dist/.edge-inputs --metafile=dist/.edge-inputs/meta.json >/dev/null 2>&1 && \
	node -e 'console.log(Object.keys(require("./dist/.edge-inputs/meta.json").inputs).filter((f) => !f.startsWith("node_modules/")).join(" "))')
EDGE_COMMIT = $(shell git log -1 --format=%h --abbrev=12 -- $(EDGE_INPUTS) package-lock.json 2>/dev/null | grep . || echo unknown)
EDGE_DATE = $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ -- $(EDGE_INPUTS) package-lock.json 2>/dev/null | grep . || echo unknown)
COMPILE_EDGE = $(BUN) $(COMPILE_FLAGS) --define 'HALTON_BUILD_COMMIT="$(EDGE_COMMIT)"' --define 'HALTON_BUILD_DATE="$(EDGE_DATE)"'
SOURCES := $(shell find cmd core platform -name '*.ts' 2>/dev/null) package.json
RELEASE_TARGETS ?= linux-x64 linux-arm64 darwin-arm64 darwin-x64
RELEASE_DIR ?= dist/release

.PHONY: deps build release test test-unit typecheck install test-deps clean bench chaos

## deps: Bun (pinned, from npm) and the locked dependencies
deps: node_modules/.deps-stamp
node_modules/.deps-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@$(BUN) --version >/dev/null
	@touch $@

## build: native executables for this machine in dist/
build: dist/halton-meter dist/halton-meter-edge
# The API's query worker and the attribution worker are entrypoints too: Bun embeds them for `new Worker` (core/api/queries.ts, core/attribution/lookup.ts).
DAEMON_ENTRIES := cmd/halton-meter.ts core/api/query-worker.ts core/attribution/lookup-worker.ts
dist/halton-meter: node_modules/.deps-stamp $(SOURCES)
	$(COMPILE) --outfile $@ $(DAEMON_ENTRIES)
dist/halton-meter-edge: node_modules/.deps-stamp $(SOURCES)
	$(COMPILE_EDGE) --outfile $@ cmd/edge.ts

## release: both executables for every supported platform, with SHA-256 checksums
## (RELEASE_TARGETS and RELEASE_DIR may be overridden: the installer test builds one target)
release: node_modules/.deps-stamp
	rm -rf $(RELEASE_DIR) && mkdir -p $(RELEASE_DIR)
	for t in $(RELEASE_TARGETS); do \
		$(COMPILE) --target=bun-$$t --outfile $(RELEASE_DIR)/halton-meter-$$t $(DAEMON_ENTRIES) && \
		$(COMPILE_EDGE) --target=bun-$$t --outfile $(RELEASE_DIR)/halton-meter-edge-$$t cmd/edge.ts || exit 1; \
	done
	cp install.sh $(RELEASE_DIR)/install.sh
	cd $(RELEASE_DIR) && sha256sum halton-meter-* install.sh > SHA256SUMS

## test: the whole suite (installs the tools the tests drive: curl, python3-requests...)
test: build test-deps
	$(BUN) test --timeout 30000

test-deps:
	@bash tests/tools/ensure-deps.sh

## test-unit: the pure tests, in seconds: parsers, adapters, pricing, the proxy's decisions and
## queues, the exchange, CONNECT and edge-route transcripts, attribution's deadlines, the layout's rules (no build, no sockets, no processes)
UNIT_TESTS := tests/providers tests/pricing tests/time tests/chaos/summary.test.ts tests/report/format.test.ts \
	tests/attribution/project.test.ts tests/attribution/lookup.test.ts tests/foundation/config-lines.test.ts tests/foundation/layers.test.ts \
	tests/proxy/head.test.ts tests/proxy/head-fuzz.test.ts tests/proxy/framing.test.ts tests/proxy/pipe.test.ts tests/proxy/outbox.test.ts \
	tests/proxy/target.test.ts tests/proxy/proxy-protocol.test.ts tests/proxy/host.test.ts tests/proxy/held.test.ts tests/proxy/guard.test.ts tests/darwin/parsers.test.ts tests/mitm tests/edge/route.test.ts tests/ws tests/limits \
	tests/budgets/evaluate.test.ts tests/budgets/period.test.ts tests/budgets/watch.test.ts tests/report/blocks.test.ts tests/statusline/line.test.ts tests/statusline/input.test.ts
test-unit: node_modules/.deps-stamp
	$(BUN) test $(UNIT_TESTS)

## bench: one run against the peers (installs tinyproxy and mitmproxy when missing): bench/README.md
bench: build
	@bash bench/peers.sh
	$(BUN) bench/run.ts

## chaos: the fault suite in its long form (a short form runs in `make test`): tests/chaos/README.md
chaos: build test-deps
	$(BUN) tests/chaos/run.ts

## typecheck: strict TypeScript over every file
typecheck: node_modules/.deps-stamp
	$(TSC) --noEmit -p .

## install: build, install both executables into $(BINDIR), then start the meter
## (systemd user units where a user manager runs, detached processes otherwise; see `halton-meter status`)
install: build
	mkdir -p $(BINDIR)
	for b in halton-meter halton-meter-edge; do \
		cp dist/$$b $(BINDIR)/.$$b.new && chmod 755 $(BINDIR)/.$$b.new && mv -f $(BINDIR)/.$$b.new $(BINDIR)/$$b || exit 1; \
	done
	@echo "installed halton-meter and halton-meter-edge in $(BINDIR)"
	$(BINDIR)/halton-meter init --non-interactive

clean:
	rm -rf dist
