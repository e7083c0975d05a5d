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


.PHONY: run cluster build test generate check-generated lint fmt tidy clean

run: build
	./$(BIN) dev --data-dir $(DATA_DIR) --http $(HTTP)

# The dev stack plus three replicas on 127.0.0.1:8081-8083 (scripts/cluster).
cluster: build
	DATA_DIR=$(DATA_DIR) scripts/cluster

build:
	$(GO) build -o $(BIN) ./cmd/ezplatform

generate:
	$(GO) tool gqlgen generate

# Fails when gofmt, go vet, go mod tidy or regenerating gqlgen code would
# change anything.
lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@$(MAKE) --no-print-directory check-generated

check-generated:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run 'go mod tidy'"; exit 1; }
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; cp -R graph "$$tmp/"; \
	$(GO) tool gqlgen generate || exit 1; \
	if ! diff -ru "$$tmp/graph" graph >"$$tmp/diff"; then \
		echo "gqlgen output differs from the committed code: run 'make generate' and commit the result"; \
		head -60 "$$tmp/diff"; rm -rf graph; cp -R "$$tmp/graph" graph; exit 1; \
	fi

test: lint
	$(GO) test $(TESTFLAGS) ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
