# Sésame — the README's commands.
#
#   make demo    the demo portal on http://localhost:8080 (go run . serve --demo)
#   make test    EVERYTHING, on a fresh Debian machine too (as root, or with sudo):
#                installs what is missing (scripts/install-deps.sh), then gofmt,
#                go vet, templ freshness, go test -race, build, Playwright suite
#   make e2e     only the browser tests (builds bin/sesame and bin/smtpsink first);
#                e.g. make e2e PLAYWRIGHT_ARGS='--project=phone -g login'
#   make build   the release binary bin/sesame (static, stripped)
#
# Every recipe runs in bash with -e -u -o pipefail: the first failing
# command fails the target.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test
# Steps of `test` depend on each other's order; never run them at once.
.NOTPARALLEL:
.DELETE_ON_ERROR:

GO ?= go
# Extra arguments for `playwright test` (make e2e PLAYWRIGHT_ARGS=...).
PLAYWRIGHT_ARGS ?=
# Playwright must never download a browser: it drives Debian's /usr/bin/chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: test deps check fmt-check vet templ-check go-test build-dev e2e e2e-run build demo clean

## test: the one command — dependencies, every check, Go tests, browser tests
test: deps check go-test e2e-run

## deps: install what this machine lacks (Chromium, gcc, npm ci, Go modules)
deps:
	bash scripts/install-deps.sh

check: fmt-check vet templ-check

## fmt-check: every .go file is gofmt'ed
fmt-check:
	@echo "==> gofmt -l"
	@files=$$(find . \( -name node_modules -o -name .git \) -prune -o -type f -name '*.go' -print); \
	bad=$$(gofmt -l $$files </dev/null); \
	if [ -n "$$bad" ]; then echo "gofmt: run 'gofmt -w' on:"; echo "$$bad"; exit 1; fi

## vet: go vet ./...
vet:
	@echo "==> go vet ./..."
	$(GO) vet ./...

## templ-check: the committed *_templ.go match `templ generate`
templ-check:
	@echo "==> templ generate (freshness)"
	bash scripts/check-templ.sh

## go-test: Go tests with the race detector
go-test:
	@echo "==> go test -race ./..."
	$(GO) test -race -count=1 ./...

## build-dev: the binaries the browser tests run (the server, and the SMTP sink they read the mail from)
build-dev:
	@echo "==> go build -o bin/sesame . && go build -o bin/smtpsink ./tools/smtpsink"
	$(GO) build -o bin/sesame .
	$(GO) build -o bin/smtpsink ./tools/smtpsink

e2e-run: build-dev
	@echo "==> playwright test"
	npx --no-install playwright test $(PLAYWRIGHT_ARGS)

## e2e: only the browser tests (installs npm packages/Chromium if missing, builds first)
e2e: deps e2e-run

## build: the release binary
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="-s -w" -o bin/sesame .

## demo: the demo portal (demo parent: dupont.marie / Cartable-Vert-2026)
demo:
	$(GO) run . serve --demo

clean:
	rm -rf bin test-results playwright-report
