#!/usr/bin/env bash
# Builds the real peers used by `make e2e` into bin/ once per machine:
# promtool and prometheus (v0.316.0), alertmanager (v0.35.0), and the
# remote-write compliance suite's test binary, and VictoriaMetrics
# single-node (v1.151.0, the storage.metrics: remote backend of the e2e).
# `scripts/peers.sh scale` (used by `make e2e-scale`) also builds the two
# distributed stores of e2e/scale_stores_test.go: Grafana Mimir (monolithic)
# and Thanos (receive + query), each stamped with its module version in
# bin/NAME.version so a rebuild happens only when the version changes.
# See ../shared/PEERS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/bin"
mkdir -p "$BIN"
PROM_VER=v0.316.0
AM_VER=v0.35.0
COMPLIANCE_VER=v0.0.0-20260806071727-67b8327a2e93
VM_VER=v1.151.0
# The module proxy serves Mimir only as a pseudo-version (its release tags,
# mimir-3.0.x, are not semver): this one is main of 2026-04-23, after 3.0.6.
MIMIR_VER=v1.3.1-0.20260423142704-aced80d74930
THANOS_VER=v0.42.5
# Thanos v0.42.5's go.mod names go 1.26.10; the approved newer toolchain.
THANOS_TOOLCHAIN=go1.27.3

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

# build_module NAME MODULE VERSION PKG [go build flags...]: go install fails
# on the replace directives of these modules, so build inside a writable copy
# of the downloaded module. GOFLAGS=-mod=mod lets go.sum gaps resolve.
build_module() {
  local name=$1 mod=$2 ver=$3 pkg=$4
  shift 4
  if [[ -x "$BIN/$name" && "$(cat "$BIN/$name.version" 2>/dev/null)" == "$ver" ]]; then
    return 0
  fi
  echo "building $name $ver (10-20 minutes on 2 shared cores)..." >&2
  local dir work start
  start=$(date +%s)
  dir=$(cd /tmp && go mod download -json "$mod@$ver" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -n "$dir" ]] || { echo "go mod download $mod@$ver failed" >&2; return 1; }
  work=$(mktemp -d)
  cp -r "$dir/." "$work/"
  chmod -R u+w "$work"
  rm -f "$BIN/$name.version"
  (cd "$work" && go build -mod=mod "$@" -o "$BIN/$name" "$pkg")
  rm -rf "$work"
  echo "$ver" > "$BIN/$name.version"
  echo "built $name $ver in $(( $(date +%s) - start )) s" >&2
}

build_mimir() {
  build_module mimir github.com/grafana/mimir "$MIMIR_VER" ./cmd/mimir
}

build_thanos() {
  # receive panics at startup without slicelabels (labels layout of its TSDB).
  GOTOOLCHAIN=$THANOS_TOOLCHAIN build_module thanos github.com/thanos-io/thanos "$THANOS_VER" ./cmd/thanos -tags slicelabels,netgo
}

want=${*:-promtool prometheus alertmanager compliance victoria-metrics}
for p in $want; do
  case $p in
    promtool|prometheus) build_prom "$p" ;;
    alertmanager) build_alertmanager ;;
    compliance) build_compliance ;;
    victoria-metrics) build_victoriametrics ;;
    mimir) build_mimir ;;
    thanos) build_thanos ;;
    scale) build_victoriametrics; build_mimir; build_thanos ;;
    *) echo "unknown peer $p" >&2; exit 2 ;;
  esac
done
