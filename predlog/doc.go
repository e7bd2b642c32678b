// Package predlog owns the prediction-log record: its Go form (Record), the
// strict NDJSON line decoder the collector's POST /api/v1/predictions uses
// (Decoder), and the NDJSON/CSV encoders export uses.
//
// One line is one record:
//
//	{"model":"fraud","version":"v7","role":"production","request_id":"r-1",
//	 "ts":"2026-11-26T10:00:00.123Z","latency_ms":12.5,
//	 "features":{"amount":12.5,"country":"DE"},"prediction":0.83,"status":"ok"}
//
// A record may also carry "explanations" ({"feature": contribution}, finite
// numbers) and "feature_ts" ({"feature": RFC 3339 or Unix ms}, when the
// value was computed); the decoder checks their shape, the ingest handler
// that they name features of the record or its baseline.
//
// Numbers are kept as the decimal the client wrote (mantissa and exponent)
// next to their float64 value, so that storage can compress them as small
// integers and export can print exactly what was sent. Feature values may be
// numbers, strings, booleans or null; whether a value fits the model is the
// data contract's business (package contract), not the decoder's, so a
// numerical feature sent as "NaN" is stored and counted as a violation rather
// than rejected. Only what cannot be stored (malformed JSON, a nested feature
// value, an unknown role or status, an unparsable timestamp) rejects a line,
// with an error naming the field.
//
// Sub-packages: store keeps records in badger as compressed columnar blocks;
// api serves the HTTP endpoints; baseline holds training profiles; skew keeps
// the streaming drift windows.
package predlog
