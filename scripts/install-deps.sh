#!/usr/bin/env bash
# Installs what `make test` needs and a fresh Debian machine lacks, and
# nothing else. Safe to run again: each step is skipped when already done.
#
#   - Debian's Chromium (/usr/bin/chromium) for the browser tests; Playwright
#     never downloads a browser.
#   - gcc, which `go test -race` needs (cgo).
#   - git, when this is a git checkout (go build stamps the commit with it).
#   - systemd's systemd-analyze, which checks the units in packaging/systemd
#     (a bare Debian image has no systemd package).
#   - node_modules from package-lock.json (npm ci), again whenever the lock
#     file changed since the last install.
#   - the Go modules (go mod download), so later steps do not stall on them.
#
# Go (1.26, see go.mod) and Node.js 20 with npm are prerequisites: this
# script checks for them and says what is missing. System packages need
# root (or sudo); they are installed only when missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
CHROMIUM=/usr/bin/chromium

say() { printf '==> %s\n' "$*"; }
die() { printf 'install-deps: %s\n' "$*" >&2; exit 1; }

# --- prerequisites we do not install -------------------------------------
command -v go >/dev/null 2>&1 || die "Go is missing: install Go 1.26 (https://go.dev/dl/) and put it on PATH"
command -v node >/dev/null 2>&1 || die "Node.js is missing: install Node.js 20 (with npm)"
command -v npm >/dev/null 2>&1 || die "npm is missing: install Node.js 20 with npm"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old: 20 or later is needed"

# --- system packages (Debian) --------------------------------------------
apt_pkgs=()
[ -x "$CHROMIUM" ] || apt_pkgs+=(chromium)
command -v gcc >/dev/null 2>&1 || apt_pkgs+=(gcc libc6-dev)
if [ -e .git ] && ! command -v git >/dev/null 2>&1; then apt_pkgs+=(git); fi
command -v systemd-analyze >/dev/null 2>&1 || apt_pkgs+=(systemd)

if [ ${#apt_pkgs[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "missing ${apt_pkgs[*]} and no apt-get to install them: install them by hand"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "missing ${apt_pkgs[*]}: run as root (or install sudo) so apt-get can install them"
    sudo=(sudo)
  fi
  say "apt-get install ${apt_pkgs[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${apt_pkgs[@]}"
fi
[ -x "$CHROMIUM" ] || die "$CHROMIUM is still missing after apt-get install chromium"

# --- npm packages ---------------------------------------------------------
# npm ci when node_modules is missing, or was installed from another
# package-lock.json (we keep the lock file's hash next to what it installed).
stamp=node_modules/.sesame-package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
have=$(cat "$stamp" 2>/dev/null || true)
if [ ! -d node_modules ] || [ "$want" != "$have" ] || [ ! -e node_modules/@playwright/test/package.json ]; then
  say "npm ci (browser download disabled)"
  npm ci --no-audit --no-fund
  printf '%s\n' "$want" >"$stamp"
fi

# --- Go modules -----------------------------------------------------------
say "go mod download"
go mod download

say "dependencies ready"
