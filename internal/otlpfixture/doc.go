// Package otlpfixture builds OTLP/HTTP metric payloads with the
// OpenTelemetry Collector's pdata package (what an otlphttp exporter
// sends), for the collector's OTLP receiver tests and the e2e comparison
// against a real Prometheus.
package otlpfixture
