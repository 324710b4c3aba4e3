#!/usr/bin/env bash
# Fails when the committed *_templ.go are not what `templ generate` makes
# from the *.templ beside them.
#
# It regenerates them and compares the content of every *_templ.go before
# and after (a changed file, or a new one that templ created, fails). This
# needs no git, so it behaves the same in a fresh clone, a source archive,
# a checkout owned by another user, or a work tree with uncommitted
# changes; in a fresh clone of a commit it is exactly
# `templ generate && git diff --exit-code` plus "no new untracked file"
# (and "no generated file deleted"). It also fails on a *_templ.go whose
# *.templ is gone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

snapshot() {
  find . \( -name node_modules -o -name .git \) -prune -o -type f -name '*_templ.go' -print0 |
    LC_ALL=C sort -z | xargs -0 -r sha256sum
}

before=$(snapshot)
go tool templ generate
after=$(snapshot)

status=0
if [ "$before" != "$after" ]; then
  echo "templ: the *_templ.go files do not match their *.templ sources." >&2
  echo "Run 'go tool templ generate' and commit the result. What it did:" >&2
  awk 'NR == FNR { if (NF) b[$2] = $1; next }
       NF { a[$2] = $1 }
       END {
         for (f in a) if (!(f in b)) print "  created  " f; else if (a[f] != b[f]) print "  changed  " f
         for (f in b) if (!(f in a)) print "  deleted  " f
       }' <(printf '%s\n' "$before") <(printf '%s\n' "$after") | LC_ALL=C sort -k2 >&2
  status=1
fi

# (templ generate itself removes a *_templ.go whose .templ is gone, which
# the comparison above reports; this also catches it should that change.)
orphans=$(find . \( -name node_modules -o -name .git \) -prune -o -type f -name '*_templ.go' -print |
  while read -r f; do [ -e "${f%_templ.go}.templ" ] || echo "  $f"; done)
if [ -n "$orphans" ]; then
  echo "templ: generated files without their .templ source (delete them):" >&2
  echo "$orphans" >&2
  status=1
fi

[ "$status" -eq 0 ] && echo "templ: generated files are up to date"
exit "$status"
