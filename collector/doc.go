// Package collector owns the mlectl collector's HTTP server: Prometheus
// remote-write ingest into a storage.Storage and the Prometheus HTTP query
// API over it.
//
// # Endpoints
//
//	POST /api/v1/write                remote write 1.0 (snappy protobuf prompb.WriteRequest)
//	                                  and 2.0 (Content-Type application/x-protobuf;proto=io.prometheus.write.v2.Request)
//	POST /api/v1/otlp/v1/metrics      OTLP/HTTP metrics (protobuf or JSON) through Prometheus's own
//	                                  OTLP receiver and translation (default OTLP config); ingest role
//	GET|POST /api/v1/query            \
//	GET|POST /api/v1/query_range       |
//	GET|POST /api/v1/series            |  Prometheus's own web/api/v1 handlers: identical
//	GET|POST /api/v1/labels            |  parameters, JSON shapes, error types and status
//	GET /api/v1/label/<name>/values    |  codes (bad_data 400, execution 422, timeout 503 ...)
//	GET /api/v1/status/buildinfo       |
//	GET /api/v1/metadata (empty) ...  /
//	GET /api/v1/status/tsdb           Prometheus's shape plus samplesStored, headSamples,
//	                                  bytesOnDisk, bytesPerSample, walBytes
//	GET /metrics                      the server's own registry
//	GET /-/healthy, /-/ready          ready (200) once a store is attached, 503 before
//
// # Ingest
//
// Remote write is open unless the embedding command wraps it with
// GuardWrite (the collector command does, with auth.RequireIngest, when
// the config says ingest_auth: token); a refused write never reaches the
// checks below and stores nothing.
//
// A remote-write request is checked against Limits before anything is
// allocated for it: the body size (413), the snappy-decoded size read from
// the snappy header (413; a header announcing more than 22 times the body,
// which no snappy block can expand to, marks garbage: 400) and the number
// of series, counted with a protobuf wire scan (413). Each series is then
// validated on its own (label count, name and value length, UTF-8,
// duplicate names, metric name present: 400; per-metric and global series
// limits: 429). Valid series are appended and committed even when others
// are refused; a fully stored request gets 204 with no body (as
// Prometheus's receiver), otherwise the response body lists what was
// accepted and, for every refusal, a reason, the series and the limit's
// config name. Samples outside [now - the store's retention, now +
// max_future_skew] are refused (too_old, too_far_in_future), as are storage
// sample errors (out of order, too old, duplicate timestamp), only the
// samples concerned. Remote write 2.0 bodies get the same checks (and a
// non-empty symbols[0] is a 400) and the remaining series are handed to
// Prometheus's own 2.0 handler.
//
// With GuardDisk, a request arriving while the data dir's filesystem has
// less than min_free_disk_bytes free is refused with 507 naming the dir and
// its free bytes (as is one whose WAL write fails with ENOSPC); see package
// internal/diskguard. Decode buffers above 4 MiB are not pooled.
//
// # Queries
//
// Queries run on Prometheus's promql engine. A query containing a MetricsQL
// `WITH (...)` template is expanded to plain PromQL first (ExpandWith);
// Prometheus's parser then reports any error with its line:column position.
//
// Exemplars of remote-write 1.0 and 2.0 requests and metric metadata of
// 1.0 requests are accepted and handed to the store with their series'
// first sample: the embedded TSDB keeps neither, the remote store (package
// remotestore) forwards them. Exemplars sent in a TimeSeries of their own,
// as Prometheus's senders send them, join their series' samples in the
// request. A 2.0 exemplar whose label refs fall outside the symbol table
// or whose labels exceed 128 characters is dropped with a 400 naming it,
// the rest of the request written. /api/v1/metadata and
// /api/v1/query_exemplars answer empty, as Grafana expects.
//
// # Config file
//
//	limits:                        # 0 or absent: default; negative: no limit
//	  max_body_bytes: 16777216     # compressed body
//	  max_decoded_bytes: 67108864  # after snappy
//	  max_series_per_request: 50000
//	  max_labels_per_series: 30
//	  max_label_name_length: 1024
//	  max_label_value_length: 2048
//	  max_series_per_metric: 100000
//	  max_series: 1000000          # all metrics
//	  max_future_skew: 10m
//	  min_free_disk_bytes: 268435456
//	  require_sorted_labels: false # true: unsorted label names are a 400
//	query:
//	  timeout: 2m
//	  max_samples: 50000000
//	  lookback_delta: 5m
//	rules: ...                     # kept raw (yaml.Node) and decoded by their
//	tokens: ...                    # owners: alerting (rules), auth (tokens),
//	models: ...                    # metaapi (models); cmd/collector wires them
//
// The Server holds no global state: its metrics live in its own registry and
// its store can be attached after the listener is open (Attach), so that
// readiness reflects storage recovery.
package collector
