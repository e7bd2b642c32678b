# mlectl — build, test, benchmark.
GO        ?= go
PKGS      ?= ./...
BIN       := $(CURDIR)/bin
PROM_VER  := v0.316.0
AM_VER    := v0.35.0
COMPLIANCE_VER := v0.0.0-20260806071727-67b8327a2e93

.PHONY: all build test test-all tidy-check vet bench bench-scale bench-deps e2e e2e-scale fuzz peers clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

# The newcomer's test command: fast suites only (slow ones run in test-all).
test: tidy-check
	$(GO) vet -stdmethods=false $(PKGS)
	$(GO) test -short -count=1 -timeout 9m $(PKGS)

# go.mod and go.sum must be what `go mod tidy` writes (Go >= 1.23 for -diff).
tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run 'go mod tidy' and commit the result" >&2; exit 1; }

test-all:
	$(GO) test -tags slow -count=1 -timeout 30m $(PKGS)

# Benchmarks print each figure side by side with its baseline (see README).
# The Python baselines (drift oracle, XGBoost) need Debian's python3 packages:
# `make bench-deps` installs them; without them those halves skip with a message.
bench:
	DRIFT_BENCH_ORACLE=1 $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./tsdb/... ./drift/... ./predlog/... ./engine/... ./alerting/... ./tui/...
	$(GO) test -run '^$$' -bench . -benchtime 300x -count 3 ./collector/...
	$(GO) test -run '^$$' -bench 'IngestUnderQueryLoad|Forwarding' -benchtime 1x -timeout 20m ./cmd/collector/
	$(GO) test -run '^$$' -bench DemoFirstFrame -benchtime 10x ./cmd/mlectl/
	$(GO) test -run '^$$' -bench IdleSessions -benchtime 1x -timeout 10m ./sshserve/
	$(GO) test -run '^$$' -bench 'Replay|PairLogged' -benchtime 3x ./shadow/

# The store at fleet scale: a node-exporter-like fleet at 10k and 100k series
# (TSDB_SCALE_1M=1 adds 1M: with TSDB_SCALE_MINUTES=10 it took 6 GB of RAM
# and 26 minutes on 2 cores), mlectl beside Prometheus's TSDB and engine in
# the same run. `make bench` runs it too (the tsdb line). With a
# VictoriaMetrics binary at bin/victoria-metrics (copy it from a peers build)
# BenchmarkScaleVictoriaMetrics also runs the fleet (100k series) into it over
# remote write and queries its HTTP API; without one it skips.
VM_BIN := $(abspath $(wildcard bin/victoria-metrics))
bench-scale:
	$(GO) test -run '^$$' -bench ScaleNodeExporter -benchtime 1x -timeout 60m ./tsdb/
	TSDB_SCALE_MINUTES=120 $(GO) test -run '^$$' -bench ScaleIngestRSS -benchtime 1x -timeout 30m ./tsdb/
	TSDB_SCALE_VM=$(VM_BIN) $(GO) test -run '^$$' -bench ScaleVictoriaMetrics -benchtime 1x -timeout 60m ./tsdb/

bench-deps:
	apt-get update && apt-get install -y python3-scipy python3-pandas python3-xgboost

# Short fuzzing pass over every decoder.
fuzz:
	scripts/fuzz.sh 10s

# Real peers (promtool, Prometheus, Alertmanager, compliance suite), cached under bin/.
peers:
	scripts/peers.sh

e2e: build peers
	$(GO) test -tags e2e -count=1 -timeout 45m ./e2e/...

# Not in CI: the scenarios of e2e/scale_test.go and e2e/remote_store_test.go
# against Grafana Mimir (monolithic) and Thanos (receive + query), which
# `scripts/peers.sh scale` builds into bin/ first (once per version: ~20 min
# each on 2 shared cores). Run time and figures: README, "Running at scale".
e2e-scale: build
	scripts/peers.sh scale
	$(GO) test -tags e2e,e2escale -count=1 -timeout 60m -v -run 'TestScale(Mimir|Thanos)' ./e2e/

clean:
	rm -rf $(BIN)/mlectl $(BIN)/collector
