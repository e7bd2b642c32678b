package api

import "time"

// BuildInfo is the collector's /api/v1/status/buildinfo answer.
type BuildInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision"`
	Branch    string `json:"branch"`
	BuildUser string `json:"buildUser"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
}

// TSDBStat is one "name: count" entry of the TSDB status.
type TSDBStat struct {
	Name  string `json:"name"`
	Value uint64 `json:"value"`
}

// TSDBHeadStats is the head block summary of the TSDB status.
type TSDBHeadStats struct {
	NumSeries     uint64 `json:"numSeries"`
	NumLabelPairs int    `json:"numLabelPairs"`
	ChunkCount    int64  `json:"chunkCount"`
	MinTime       int64  `json:"minTime"`
	MaxTime       int64  `json:"maxTime"`
}

// TSDBStatus is the collector's /api/v1/status/tsdb answer.
type TSDBStatus struct {
	HeadStats                   TSDBHeadStats `json:"headStats"`
	SeriesCountByMetricName     []TSDBStat    `json:"seriesCountByMetricName"`
	LabelValueCountByLabelName  []TSDBStat    `json:"labelValueCountByLabelName"`
	MemoryInBytesByLabelName    []TSDBStat    `json:"memoryInBytesByLabelName"`
	SeriesCountByLabelValuePair []TSDBStat    `json:"seriesCountByLabelValuePair"`
}

// Alert is one entry of /api/v1/alerts (the Prometheus shape).
type Alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"` // firing, pending
	ActiveAt    time.Time         `json:"activeAt"`
	Value       string            `json:"value"`
	// Collector is never in Prometheus's answer: the console sets it on
	// alerts it takes from a cluster's merged alert state
	// (ActiveAlert.Collector).
	Collector *ModelCollector `json:"collector,omitempty"`
}

// Rule is one recording or alerting rule of /api/v1/rules.
type Rule struct {
	Name           string            `json:"name"`
	Query          string            `json:"query"`
	Type           string            `json:"type"` // alerting, recording
	Health         string            `json:"health"`
	LastError      string            `json:"lastError"`
	State          string            `json:"state"`
	Labels         map[string]string `json:"labels"`
	Annotations    map[string]string `json:"annotations"`
	Alerts         []Alert           `json:"alerts"`
	LastEvaluation time.Time         `json:"lastEvaluation"`
}

// RuleGroup is one group of /api/v1/rules.
type RuleGroup struct {
	Name           string    `json:"name"`
	File           string    `json:"file"`
	Interval       float64   `json:"interval"`
	Rules          []Rule    `json:"rules"`
	LastEvaluation time.Time `json:"lastEvaluation"`
}
