// Package auth owns API access control: the token list of the collector
// configuration, the four roles (viewer < ingest < responder < admin) and
// the HTTP middleware that answers 401 or 403 before a handler runs.
//
// Default when no tokens are configured (mode "" or "default"): reads are
// open and every mutating call is refused with 401, so a fresh collector
// cannot be rolled back by anyone who can reach its port. Mode "disabled"
// turns all checks off (every caller acts as admin "anonymous"); it must be
// written explicitly. Mode "strict" also requires a viewer token for reads:
// every read route, the Prometheus API included (collector.Server.Authorize
// guards it); only the health probes stay open.
//
// /metrics has its own switch, Config.Metrics (`metrics_auth:`): "open" or
// "token" (a viewer token in every mode but disabled); unset it follows the
// mode (token under strict). See AdmitMetrics.
//
// Unauthenticated mutations that are refused are rate-limited per source
// address (AnonMutationBurst, then AnonMutationRate per second; 429 with
// Retry-After beyond), since each refusal costs an audit-log write.
//
// Data ingest (remote write, predictions, feedback, baselines, contracts)
// has its own switch, Config.Ingest (`ingest_auth:`): "open" (default, any
// sender, like Prometheus's receiver) or "token" (RequireIngest demands a
// token of role ingest or higher). An ingest token may send data and read,
// but not act on models.
//
// Tokens are kept only as sha256 digests and compared in constant time.
package auth
