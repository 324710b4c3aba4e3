#!/usr/bin/env bash
# Lighthouse benchmark (not a test, not in `make test`): see scripts/lighthouse.mjs.
#   bash scripts/lighthouse.sh [--no-build] [--out docs/LIGHTHOUSE.md]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec node scripts/lighthouse.mjs "$@"
