// Package chart owns the console's small text charts: sparklines of block
// characters (or ASCII digits of height) and a multi-series line chart drawn
// on a character grid. Charts are pure functions of their input so views
// can build them in Update and cache the text.
package chart
