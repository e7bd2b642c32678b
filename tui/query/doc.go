// Package query owns the console's Query view: a PromQL/MetricsQL input
// line, the instant result as a table and the last hour as an ASCII line
// chart (tab switches), and parse errors shown at their position with a
// caret under the query.
package query
