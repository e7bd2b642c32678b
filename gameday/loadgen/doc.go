// Package loadgen owns synthetic prediction traffic for game days: it reads
// rows of a CSV file (one column per feature, an optional prediction column)
// and posts them, in order and cycling, as NDJSON prediction records to a
// collector's /api/v1/predictions at a fixed rate (mlectl loadgen, and the
// loadgen section of a game-day scenario).
package loadgen
