# EZ Platform. `make run` starts everything locally; `make test` runs every
# test against real PostgreSQL and etcd.

# Go from PATH, else the standard install location.
GO        ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
BIN       := bin/ezplatform
DATA_DIR  ?= .ezplatform
HTTP      ?= 127.0.0.1:8080
# Test packages run in parallel, each against its own throwaway PostgreSQL.
# -count=1: results depend on the machine (PostgreSQL binaries), never cache them.
TESTFLAGS ?= -race -count=1 -timeout 12m
NPM       ?= npm
WEB_APP   := web/app


.PHONY: run cluster chaos chaos-short build test screenshots generate check-generated web check-web npm-ci lint fmt tidy clean

run: build
	./$(BIN) dev --data-dir $(DATA_DIR) --http $(HTTP)

# PostgreSQL, three etcd members and three replicas on 127.0.0.1, each its
# own process (scripts/cluster, docs/CLUSTER.md).
cluster: build
	BIN=$(BIN) DATA_DIR=$(DATA_DIR) scripts/cluster

# The fault and load suite (internal/chaos, build tag chaos): real processes
# on loopback, faults injected, invariants checked; it writes
# docs/RELIABILITY.md. CHAOS_LONG=1 runs the long version; chaos-short, the
# few minutes of it that make test runs, prints its report instead.
chaos:
	$(GO) test -tags chaos -count=1 -timeout 60m -v -run '^TestChaos$$' ./internal/chaos/

chaos-short:
	CHAOS_SHORT=1 CHAOS_REPORT=- $(GO) test -tags chaos -count=1 -timeout 15m -run '^TestChaos$$' ./internal/chaos/

build:
	$(GO) build -o $(BIN) ./cmd/ezplatform

generate:
	$(GO) tool gqlgen generate

# Fails when gofmt, go vet, go mod tidy, regenerating gqlgen code or
# rebuilding the web app would change anything.
lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags chaos ./internal/chaos/
	@$(MAKE) --no-print-directory check-generated
	@$(MAKE) --no-print-directory check-web

check-generated:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run 'go mod tidy'"; exit 1; }
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; cp -R graph "$$tmp/"; \
	$(GO) tool gqlgen generate || exit 1; \
	if ! diff -ru "$$tmp/graph" graph >"$$tmp/diff"; then \
		echo "gqlgen output differs from the committed code: run 'make generate' and commit the result"; \
		head -60 "$$tmp/diff"; rm -rf graph; cp -R "$$tmp/graph" graph; exit 1; \
	fi

# The web app's build is committed: web/dist, which the binary embeds
# (web/web.go), and the operation types graphql-codegen writes to
# web/app/src/gql. So `make run` and `make build` need no Node; changing the
# app, and `make test`, do. `make web` refreshes the committed build.
web: npm-ci
	cd $(WEB_APP) && $(NPM) run build

# Runs the app's tests (Vitest), rebuilds it, and fails when the build
# differs from the committed one; the committed files are then put back.
check-web: npm-ci
	cd $(WEB_APP) && $(NPM) test
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	cp -R web/dist "$$tmp/dist"; cp -R $(WEB_APP)/src/gql "$$tmp/gql"; \
	restore() { rm -rf web/dist $(WEB_APP)/src/gql; cp -R "$$tmp/dist" web/dist; cp -R "$$tmp/gql" $(WEB_APP)/src/gql; }; \
	if ! (cd $(WEB_APP) && $(NPM) run build) >"$$tmp/build.log" 2>&1; then \
		cat "$$tmp/build.log"; echo "the web app does not build (see above)"; restore; exit 1; \
	fi; \
	diff -ru "$$tmp/dist" web/dist >"$$tmp/diff"; dist=$$?; \
	diff -ru "$$tmp/gql" $(WEB_APP)/src/gql >>"$$tmp/diff"; gql=$$?; \
	if [ $$dist -ne 0 ] || [ $$gql -ne 0 ]; then \
		echo "the web app's build differs from the committed web/dist or web/app/src/gql: run 'make web' and commit the result"; \
		head -60 "$$tmp/diff" | cut -c1-200; restore; exit 1; \
	fi

# npm ci installs exactly the lock file's packages, in a few seconds.
npm-ci:
	@command -v $(NPM) >/dev/null 2>&1 && node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a === 20 && b >= 19 || a === 22 && b >= 12 || a > 22 ? 0 : 1)' || { \
		echo "the web app needs Node 20 (20.19 or later) and npm: install Node 20 (Debian: apt-get install nodejs npm)"; exit 1; }
	cd $(WEB_APP) && $(NPM) ci --no-audit --no-fund

test: lint
	$(GO) test $(TESTFLAGS) ./...
	@$(MAKE) --no-print-directory chaos-short

# The web app's end-to-end tests in headless Chromium, saving the main
# screens as docs/screenshots/*.png (README.md shows them). They test the
# embedded build: run `make web` first after changing the app.
screenshots:
	EZ_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test $(TESTFLAGS) -run '^TestWebApp(OperatorFlow|Failover|SignIn)$$' -v ./internal/server/

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
