// Package series writes computed samples (drift, skew, explanation and
// freshness figures) to a storage.Appendable in one transaction, skipping
// the values that are not finite: a window with no data has no figure, and
// Prometheus's storage would keep a NaN as a real value.
package series
