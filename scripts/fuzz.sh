#!/usr/bin/env bash
# Runs every fuzz target in the module for a short time each: scripts/fuzz.sh [DURATION]
# A failing target does not stop the run: every target runs, the failures are
# listed at the end, and the exit status is 1 if there was any.
set -uo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10s}
failed=()
ran=0
while read -r f; do
  pkg="./$(dirname "${f#./}")"
  while read -r target; do
    echo "== $pkg $target ($dur)"
    ran=$((ran + 1))
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$dur" "$pkg"; then
      failed+=("$pkg $target")
    fi
  done < <(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //')
done < <(grep -rl --include='*_test.go' '^func Fuzz' . | sort)
echo "== $ran fuzz targets, ${#failed[@]} failed"
if ((${#failed[@]})); then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
