// Package e2e runs the built binaries against real peers: a Prometheus
// server remote-writing into the collector, promtool reading both back, the
// prometheus/compliance remote-write receiver suite, and Alertmanager.
//
// The tests are behind the e2e build tag and are run by `make e2e`, which
// first builds ./bin/collector and ./bin/mlectl and the peers (scripts/peers.sh).
package e2e
