// Package sim owns simulated prediction traffic: models whose inputs are
// bootstrapped from real tabular data (bike sharing, adult census), their
// production and shadow versions, latency and error profiles, and staged
// incidents (a feature shift, a latency regression). `mlectl demo` and the
// load generator use it; nothing in the collector depends on it.
package sim
