// Package remotestore makes a Prometheus-compatible store the user already
// runs (Grafana Mimir, VictoriaMetrics, Thanos) the collector's metrics
// store: the `storage:` block of the collector config (storage.metrics:
// remote).
//
// Writes: every sample the collector accepts or derives is appended to a
// durable local queue (Queue) — Prometheus's write-ahead log segments
// (tsdb/wlog) with its series/samples record encoding — and acknowledged
// only once it is in the log. A sender reads the log from a persisted
// position and forwards it by remote write 1.0 through storage/remote's
// write client (headers, basic/bearer auth, TLS, recoverable-error
// classification), with retries and backoff (the backend's Retry-After
// honoured on 429 and 503, within max_backoff); exemplars and metric
// metadata go in the same log and requests. Unlike the agent-mode
// forwarder (tsdb/agent + the WAL watcher), the queue keeps its own read
// position instead of a start timestamp, so backfilled and out-of-order
// samples are forwarded too, and samples acknowledged before a crash are
// sent after the restart (at least once: a resend of the last batch is
// possible, which the backend's deduplication absorbs).
//
// Reads: Store answers storage queries through the backend's Prometheus
// query API (a range-selector instant query returns raw samples;
// /api/v1/series, /api/v1/labels and label values for the metadata calls),
// and QueryProxy forwards the collector's own Prometheus API query calls
// to the backend, so PromQL is evaluated there.
package remotestore
