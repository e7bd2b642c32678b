// Package otlplog ingests prediction records sent as OpenTelemetry logs
// (OTLP/HTTP, protobuf or JSON) on POST /api/v1/otlp/v1/logs. A model
// server that already exports logs through an OpenTelemetry SDK or
// Collector (otlphttp exporter) records one log record per prediction and
// puts the prediction in attributes:
//
//	ml.model.name          model (required)
//	ml.model.version       version (required)
//	ml.request.id          request_id
//	ml.role                production (default), shadow or canary
//	ml.features.<name>     one feature: string, int, double, bool (or empty: null)
//	ml.prediction          the prediction: string, int, double, bool, or a map of class → score
//	ml.latency_ms          latency in milliseconds (int or double)
//	ml.status              ok (default) or error
//
// Attributes are looked up on the log record, then its scope, then its
// resource, so a server may set ml.model.name and ml.model.version once as
// resource attributes. The record's time is the log record's Timestamp,
// else its ObservedTimestamp, else the time of arrival. The body and the
// severity are ignored: the prediction lives in ml.prediction only, so a
// server's ordinary log lines sent to the same endpoint are refused, not
// misread as predictions.
//
// Each log record becomes the NDJSON line POST /api/v1/predictions would
// take and is decoded by predlog.Decoder, so every rule of the NDJSON path
// applies unchanged; records then take that path's own way into the log
// (api.Handler.Ingest). As with NDJSON, good records are kept when others
// are refused: the answer is then 400, naming each bad record by its
// position and attribute.
package otlplog
