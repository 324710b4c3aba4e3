# Sésame — the README's commands.
#
#   make demo    the demo portal on http://localhost:8080 (go run . serve --demo)
#   make test    EVERYTHING, on a fresh Debian machine too (as root, or with sudo):
#                installs what is missing (scripts/install-deps.sh), then gofmt,
#                go vet, templ freshness, go test -race, build, Playwright suite
#   make e2e     only the browser tests (builds bin/sesame and bin/smtpsink first);
#                e.g. make e2e PLAYWRIGHT_ARGS='--project=phone -g login'
#   make build   the release binary bin/sesame (static, stripped, version stamped)
#   make release the archives of every platform and SHA256SUMS in dist/
#                (VERSION=v1.2.0 to name it; else git describe)
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

.PHONY: test deps check fmt-check markers-check vet templ-check cross go-test build-dev e2e e2e-run build release demo clean

# The platforms a release ships; `make test` builds every one (cross), so
# none can silently break. OS/ARCH[/GOARM]; `make release TARGETS=linux/amd64`
# builds only those (the install test builds one).
TARGETS := linux/amd64 linux/arm64 linux/arm/7 windows/amd64 windows/arm64 darwin/arm64 freebsd/amd64

# What `sesame version` prints, stamped at link time.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
# Where `make release` writes the archives (emptied first).
DIST ?= dist

LDFLAGS := -s -w -X sesame/internal/cli.version=$(VERSION) -X sesame/internal/cli.commit=$(COMMIT) -X sesame/internal/cli.date=$(DATE)

## test: the one command — dependencies, every check, Go tests, browser tests
test: deps check go-test e2e-run

## deps: install what this machine lacks (Chromium, gcc, npm ci, Go modules)
deps:
	bash scripts/install-deps.sh

check: fmt-check markers-check vet templ-check cross

## markers-check: no merge-conflict marker left in a tracked file (a README
## once shipped one): lines starting with <<<<<<< or >>>>>>> and a space
markers-check:
	@echo "==> no merge-conflict markers"
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
		if git grep -nE '^(<<<<<<<|>>>>>>>) ' -- . ':!node_modules'; then echo "merge-conflict markers left (above)"; exit 1; fi; \
	fi

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

## cross: every release target builds (CGO_ENABLED=0, build only), and
## go vet passes as Windows and macOS see the code, tests included.
## integration/ is left out of those two vets: it is a Linux harness
## (SIGKILL, setuid children, chattr, tmpfs) that never runs there.
cross:
	@echo "==> cross-build $(TARGETS)"
	@for t in $(TARGETS); do \
		IFS=/ read -r os arch arm <<<"$$t"; \
		echo "    $$t"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch GOARM=$$arm $(GO) build -o /dev/null . || { echo "cross: $$t does not build"; exit 1; }; \
	done
	@for os in windows darwin; do \
		echo "==> GOOS=$$os go vet"; \
		pkgs=$$(GOOS=$$os GOARCH=arm64 $(GO) list ./... | grep -v '^sesame/integration$$'); \
		CGO_ENABLED=0 GOOS=$$os GOARCH=arm64 $(GO) vet $$pkgs; \
	done

## go-test: Go tests with the race detector
go-test:
	@echo "==> go test -race ./..."
	$(GO) test -race -count=1 ./...

## build-dev: the binaries the browser tests run (the server, the SMTP sink they read the mail from, the OpenID Connect application)
build-dev:
	@echo "==> go build -o bin/sesame . && go build -o bin/smtpsink ./tools/smtpsink && go build -o bin/oidcrp ./tools/oidcrp"
	$(GO) build -o bin/sesame .
	$(GO) build -o bin/smtpsink ./tools/smtpsink
	$(GO) build -o bin/oidcrp ./tools/oidcrp

e2e-run: build-dev
	@echo "==> playwright test"
	npx --no-install playwright test $(PLAYWRIGHT_ARGS)

## e2e: only the browser tests (installs npm packages/Chromium if missing, builds first)
e2e: deps e2e-run

## build: the release binary of this machine, version stamped
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="$(LDFLAGS)" -o bin/sesame .
	bin/sesame version

## release: for each target, dist/sesame-VERSION-OS-ARCH.tar.gz (.zip for
## Windows) holding the static binary, README.md, the licence if any and
## packaging/ (service files; any Go file left out) if any; then dist/SHA256SUMS.
release:
	@echo "==> release $(VERSION) to $(DIST)"
	@test -n "$(DIST)" || { echo "release: DIST is empty"; exit 1; }
	rm -rf $(DIST)
	mkdir -p $(DIST)/.stage
	$(GO) build -o $(DIST)/.stage/pack ./tools/pack
	@for t in $(TARGETS); do \
		IFS=/ read -r os arch arm <<<"$$t"; \
		name=sesame-$(VERSION)-$$os-$$arch; stage=$(DIST)/.stage/$$name; exe=sesame; ext=tar.gz; \
		if [ $$os = windows ]; then exe=sesame.exe; ext=zip; fi; \
		echo "    $$name.$$ext"; \
		mkdir -p $$stage; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch GOARM=$$arm $(GO) build -trimpath -ldflags="$(LDFLAGS)" -o $$stage/$$exe .; \
		cp README.md $$stage/; \
		for f in LICENSE LICENSE.md LICENSE.txt COPYING; do if [ -f $$f ]; then cp $$f $$stage/; fi; done; \
		if [ -d packaging ]; then cp -R packaging $$stage/; find $$stage/packaging -name '*.go' -delete; fi; \
		$(DIST)/.stage/pack $(DIST)/$$name.$$ext $$stage; \
	done
	@# The stamp reached the binary (a wrong -X path is silently ignored).
	if [ "$$(uname -sm)" = "Linux x86_64" ] && [ -x $(DIST)/.stage/sesame-$(VERSION)-linux-amd64/sesame ]; then \
		$(DIST)/.stage/sesame-$(VERSION)-linux-amd64/sesame version | tee /dev/stderr | grep -qxF 'sesame $(VERSION)'; fi
	rm -rf $(DIST)/.stage
	cd $(DIST) && shopt -s nullglob && sha256sum *.tar.gz *.zip > SHA256SUMS
	@ls -l $(DIST)

## demo: the demo portal (demo parent: dupont.marie / Cartable-Vert-2026)
demo:
	$(GO) run . serve --demo

clean:
	rm -rf bin test-results playwright-report
