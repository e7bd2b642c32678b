#!/usr/bin/env bash
# Builds the real peers used by `make e2e` into bin/ once per machine:
# promtool and prometheus (v0.316.0), alertmanager (v0.35.0), and the
# remote-write compliance suite's test binary, and VictoriaMetrics
# single-node (v1.151.0, the storage.metrics: remote backend of the e2e).
# See ../shared/PEERS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/bin"
mkdir -p "$BIN"
PROM_VER=v0.316.0
AM_VER=v0.35.0
COMPLIANCE_VER=v0.0.0-20260806071727-67b8327a2e93
VM_VER=v1.151.0

build_prom() { # name
  [[ -x "$BIN/$1" ]] && return 0
  echo "building $1 $PROM_VER (several minutes on 2 cores)..." >&2
  (cd /tmp && GOBIN="$BIN" go install "github.com/prometheus/prometheus/cmd/$1@$PROM_VER")
}

build_alertmanager() {
  [[ -x "$BIN/alertmanager" ]] && return 0
  echo "building alertmanager $AM_VER..." >&2
  local dir work
  dir=$(cd /tmp && go mod download -json "github.com/prometheus/alertmanager@$AM_VER" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  work=$(mktemp -d)
  cp -r "$dir/." "$work/"
  chmod -R u+w "$work"
  mkdir -p "$work/ui/app/dist/elm" "$work/ui/app/dist/mantine"
  echo '<html></html>' > "$work/ui/app/dist/elm/index.html"
  echo '<html></html>' > "$work/ui/app/dist/mantine/index.html"
  (cd "$work" && go build -o "$BIN/alertmanager" ./cmd/alertmanager)
  rm -rf "$work"
}

build_compliance() {
  [[ -x "$BIN/rw-compliance.test" ]] && return 0
  echo "building remote-write compliance suite..." >&2
  local dir work
  dir=$(cd /tmp && go mod download -json "github.com/prometheus/compliance/remotewrite/receiver@$COMPLIANCE_VER" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  work=$(mktemp -d)
  cp -r "$dir/." "$work/"
  chmod -R u+w "$work"
  (cd "$work" && go test -c -o "$BIN/rw-compliance.test" .)
  rm -rf "$work"
}

build_victoriametrics() {
  [[ -x "$BIN/victoria-metrics" ]] && return 0
  echo "building victoria-metrics $VM_VER (several minutes on 2 cores)..." >&2
  (cd /tmp && GOBIN="$BIN" go install "github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics@$VM_VER")
}

want=${*:-promtool prometheus alertmanager compliance victoria-metrics}
for p in $want; do
  case $p in
    promtool|prometheus) build_prom "$p" ;;
    alertmanager) build_alertmanager ;;
    compliance) build_compliance ;;
    victoria-metrics) build_victoriametrics ;;
    *) echo "unknown peer $p" >&2; exit 2 ;;
  esac
done
