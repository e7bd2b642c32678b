// Package xgbjson holds the pieces of reading XGBoost's JSON model format
// that both engine/model (prediction) and engine/explain (TreeSHAP) need,
// so the two decoders cannot drift apart on them.
package xgbjson
