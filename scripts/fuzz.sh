#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (FUZZTIME, default 30s each)
# and keeps what the fuzzer found interesting as committed corpora under
# each package's testdata/fuzz, so `go test` replays them as seeds.
# A benchmark-style script: not part of `make test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
t=${FUZZTIME:-30s}
cache=$(go env GOCACHE)/fuzz/sesame
run() { # package target
  echo "==> $2 ($1, $t)"
  go test -run '^$' -fuzz "^$2\$" -fuzztime "$t" "./$1/"
  mkdir -p "$1/testdata/fuzz/$2"
  # Keep at most 40 inputs per target, the smallest first: enough to
  # replay the shapes found without bloating the repository.
  if [ -d "$cache/$1/$2" ]; then
    ls -S -r "$cache/$1/$2" | head -40 | while read -r f; do cp "$cache/$1/$2/$f" "$1/testdata/fuzz/$2/"; done
  fi
}
run handlers FuzzForms
run internal/recovery FuzzNormalizeCode
run internal/policy FuzzCheck
run internal/importcsv FuzzParse
run internal/identity FuzzGenerateIdentifier
run internal/identity FuzzSameVerdictEverywhere
echo "corpora:"; find . -path ./node_modules -prune -o -type d -path '*testdata/fuzz/*' -print | while read -r d; do echo "  $d $(ls "$d" | wc -l)"; done
