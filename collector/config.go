package collector

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/cluster"
	"github.com/mlectl/mlectl/cost"
	"github.com/mlectl/mlectl/engine/gpu"
	"github.com/mlectl/mlectl/internal/diskguard"
	"github.com/mlectl/mlectl/remotestore"
)

// Defaults applied by New to zero-valued Limits and Query fields.
const (
	DefaultListenAddress       = "127.0.0.1:9710"
	DefaultMaxBodyBytes        = 16 << 20 // compressed request body
	DefaultMaxDecodedBytes     = 64 << 20 // snappy-decoded protobuf
	DefaultMaxSeriesPerRequest = 50_000
	DefaultMaxLabelsPerSeries  = 30
	DefaultMaxLabelNameLength  = 1024
	DefaultMaxLabelValueLength = 2048
	DefaultMaxSeriesPerMetric  = 100_000
	DefaultMaxFutureSkew       = 10 * time.Minute
	DefaultMaxSeries           = 1_000_000
	DefaultMinFreeDiskBytes    = diskguard.DefaultReserve
	DefaultQueryTimeout        = 2 * time.Minute
	DefaultQueryMaxSamples     = 50_000_000
	DefaultLookbackDelta       = 5 * time.Minute
	DefaultQueryMaxConcurrency = 20
)

// Config configures a Server. The zero value gives the documented defaults.
// It is the schema of the collector's YAML config file; the rules, tokens and
// models sections are kept raw for the subsystems that will own them.
type Config struct {
	Limits Limits      `yaml:"limits"`
	Query  QueryConfig `yaml:"query"`

	// Auth is the access-control mode for the metadata API: "" (reads open,
	// mutations need a token), "strict" (every call needs a token) or
	// "disabled" (explicitly open; for local demos only). See package auth.
	Auth string `yaml:"auth,omitempty"`

	// Drift configures the streaming drift windows of the prediction
	// pipeline (package predlog/skew).
	Drift DriftConfig `yaml:"drift,omitempty"`
	// IngestAuth says who may send data (remote write, predictions,
	// feedback, baselines, contracts): "open" (default, like Prometheus's
	// receiver) or "token" (a bearer token of role ingest or higher). The
	// collector command applies it with Server.GuardWrite and the prediction
	// pipeline's middleware; see auth.RequireIngest.
	IngestAuth string `yaml:"ingest_auth,omitempty"`
	// MetricsAuth says who may scrape /metrics: "open" or "token" (a
	// viewer token); "" is token under auth: strict, open otherwise. See
	// auth.Authenticator.MetricsNeed.
	MetricsAuth string `yaml:"metrics_auth,omitempty"`

	// Engine configures the scoring engine of live and replay shadow.
	Engine EngineConfig `yaml:"engine,omitempty"`

	// SSH serves the console over SSH from this process (nil: off); see
	// SSHConfig. cmd/collector validates and runs it.
	SSH *SSHConfig `yaml:"ssh,omitempty"`

	// Storage picks the metrics store: the embedded TSDB or the user's
	// Prometheus-compatible backend (package remotestore).
	Storage remotestore.Config `yaml:"storage,omitempty"`

	// Cost prices serving per model (package cost): mle_cost_* series and
	// the CostOverBudget rule.
	Cost cost.Config `yaml:"cost,omitempty"`
	// Delivery configures the deploy/rollback series (package delivery).
	Delivery DeliveryConfig `yaml:"delivery,omitempty"`

	// Reserved sections, decoded by their owners.
	Rules  yaml.Node `yaml:"rules,omitempty"`
	Tokens yaml.Node `yaml:"tokens,omitempty"`
	Models yaml.Node `yaml:"models,omitempty"`
	// CloudEvents configures the KServe/Seldon payload-logger ingest
	// (package predlog/cloudevents).
	CloudEvents yaml.Node `yaml:"cloudevents,omitempty"`
	// Cluster shards models across collectors (package cluster); nil for a
	// collector on its own.
	Cluster *cluster.Config `yaml:"cluster,omitempty"`

	// Version is reported by /api/v1/status/buildinfo and Flags by
	// /api/v1/status/flags. Neither is read from YAML.
	Version string            `yaml:"-"`
	Flags   map[string]string `yaml:"-"`
}

// Limits bound what one remote-write request may contain and how many series
// a metric may have. Zero means "use the default"; a negative value disables
// the limit.
type Limits struct {
	// MaxBodyBytes caps the compressed request body (413 above it).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxDecodedBytes caps the snappy-decoded payload; checked from the snappy
	// header before anything is allocated (413 above it).
	MaxDecodedBytes int64 `yaml:"max_decoded_bytes"`
	// MaxSeriesPerRequest caps the time series in one request (413).
	MaxSeriesPerRequest int `yaml:"max_series_per_request"`
	// MaxLabelsPerSeries caps the labels of one series, __name__ included (400).
	MaxLabelsPerSeries int `yaml:"max_labels_per_series"`
	// MaxLabelNameLength and MaxLabelValueLength cap label sizes in bytes (400).
	MaxLabelNameLength  int `yaml:"max_label_name_length"`
	MaxLabelValueLength int `yaml:"max_label_value_length"`
	// MaxSeriesPerMetric caps the distinct series of one metric name; new
	// series beyond it are refused with 429.
	MaxSeriesPerMetric int `yaml:"max_series_per_metric"`
	// MaxFutureSkew refuses samples further than this ahead of the server's
	// clock (400), as Prometheus's receiver does.
	MaxFutureSkew time.Duration `yaml:"max_future_skew"`
	// MaxSeries caps the series of all metrics together; new series beyond
	// it are refused with 429 (reason series_limit).
	MaxSeries int `yaml:"max_series"`
	// MinFreeDiskBytes is the free space kept on the data dir's filesystem:
	// below it remote write and prediction ingest answer 507, head seals
	// wait, reads go on (see package internal/diskguard).
	MinFreeDiskBytes int64 `yaml:"min_free_disk_bytes"`
	// RequireSortedLabels refuses series whose label names are not sorted
	// (400). Off by default: like Prometheus, the collector sorts them, which
	// the remote-write compliance suite expects of receivers.
	RequireSortedLabels bool `yaml:"require_sorted_labels"`
}

// QueryConfig configures the PromQL engine behind the query API, with
// Prometheus's flags and defaults (--query.timeout, --query.max-samples,
// --query.lookback-delta, --query.max-concurrency).
type QueryConfig struct {
	Timeout       time.Duration `yaml:"timeout"`
	MaxSamples    int           `yaml:"max_samples"`
	LookbackDelta time.Duration `yaml:"lookback_delta"`
	// MaxConcurrency is how many queries evaluate at once; more wait for a
	// slot (until their timeout). Running queries also yield to ingest.
	MaxConcurrency int `yaml:"max_concurrency"`
}

// DriftConfig configures streaming drift.
type DriftConfig struct {
	// Window is how long a drift window collects serving values before it
	// is scored against the baseline and the previous 24h: 0 means
	// DefaultDriftWindow; at least MinDriftWindow, at most MaxDriftWindow.
	Window time.Duration `yaml:"window,omitempty"`
}

// EngineConfig configures shadow scoring (package engine, engine/gpu).
type EngineConfig struct {
	// Backend is auto, cpu, opencl or cuda (gpu.Select's rules, per
	// candidate model); "" is DefaultEngineBackend.
	Backend string `yaml:"backend,omitempty"`
}

// DefaultEngineBackend is the shadow scoring backend when engine.backend is
// not set: the CPU, which needs no driver.
const DefaultEngineBackend = gpu.BackendCPU

// BackendName is Backend with the default applied.
func (e EngineConfig) BackendName() string {
	if e.Backend == "" {
		return DefaultEngineBackend
	}
	return e.Backend
}

// Bounds of DriftConfig.Window. Windows are folded into hourly history
// buckets, so a window longer than an hour would straddle them.
const (
	DefaultDriftWindow = 5 * time.Minute
	MinDriftWindow     = 10 * time.Second
	MaxDriftWindow     = time.Hour
)

// ParseConfig decodes a YAML config. Unknown keys are an error so that a
// misspelt limit is not silently ignored.
func ParseConfig(r io.Reader) (Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("parse collector config: %w", err)
	}
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// ParseConfigBytes is ParseConfig for an in-memory document.
func ParseConfigBytes(b []byte) (Config, error) { return ParseConfig(bytes.NewReader(b)) }

func (c Config) validate() error {
	if _, err := auth.ParseIngest(c.IngestAuth); err != nil {
		return fmt.Errorf("collector config: %w", err)
	}
	if _, err := auth.ParseMetrics(c.MetricsAuth); err != nil {
		return fmt.Errorf("collector config: %w", err)
	}
	if c.Query.Timeout < 0 {
		return fmt.Errorf("collector config: query.timeout must not be negative, got %s", c.Query.Timeout)
	}
	if c.Query.MaxSamples < 0 {
		return fmt.Errorf("collector config: query.max_samples must not be negative, got %d", c.Query.MaxSamples)
	}
	if c.Query.MaxConcurrency < 0 {
		return fmt.Errorf("collector config: query.max_concurrency must not be negative, got %d", c.Query.MaxConcurrency)
	}
	if c.Query.LookbackDelta < 0 {
		return fmt.Errorf("collector config: query.lookback_delta must not be negative, got %s", c.Query.LookbackDelta)
	}
	if c.Engine.Backend != "" {
		if err := gpu.ParseBackend(c.Engine.Backend); err != nil {
			return fmt.Errorf("collector config: engine.backend: %w", err)
		}
	}
	if err := c.Cluster.Validate(); err != nil {
		return fmt.Errorf("collector config: %w", err)
	}
	if err := c.Storage.Validate(); err != nil {
		return fmt.Errorf("collector config: %w", err)
	}
	if err := c.Cost.Validate(); err != nil {
		return fmt.Errorf("collector config: %w", err)
	}
	if err := c.Delivery.validate(); err != nil {
		return fmt.Errorf("collector config: %w", err)
	}
	if w := c.Drift.Window; w != 0 && (w < MinDriftWindow || w > MaxDriftWindow) {
		return fmt.Errorf("collector config: drift.window must be between %s and %s, got %s", MinDriftWindow, MaxDriftWindow, w)
	}
	return nil
}

// withDefaults returns c with zero fields replaced by defaults and negative
// limits turned into "unlimited".
func (c Config) withDefaults() Config {
	l := &c.Limits
	l.MaxBodyBytes = defaultInt(l.MaxBodyBytes, DefaultMaxBodyBytes)
	l.MaxDecodedBytes = defaultInt(l.MaxDecodedBytes, DefaultMaxDecodedBytes)
	l.MaxSeriesPerRequest = defaultInt(l.MaxSeriesPerRequest, DefaultMaxSeriesPerRequest)
	l.MaxLabelsPerSeries = defaultInt(l.MaxLabelsPerSeries, DefaultMaxLabelsPerSeries)
	l.MaxLabelNameLength = defaultInt(l.MaxLabelNameLength, DefaultMaxLabelNameLength)
	l.MaxLabelValueLength = defaultInt(l.MaxLabelValueLength, DefaultMaxLabelValueLength)
	l.MaxSeriesPerMetric = defaultInt(l.MaxSeriesPerMetric, DefaultMaxSeriesPerMetric)
	l.MaxFutureSkew = defaultInt(l.MaxFutureSkew, DefaultMaxFutureSkew)
	l.MaxSeries = defaultInt(l.MaxSeries, DefaultMaxSeries)
	l.MinFreeDiskBytes = defaultInt(l.MinFreeDiskBytes, DefaultMinFreeDiskBytes)
	q := &c.Query
	q.Timeout = defaultInt(q.Timeout, DefaultQueryTimeout)
	q.MaxSamples = defaultInt(q.MaxSamples, DefaultQueryMaxSamples)
	q.LookbackDelta = defaultInt(q.LookbackDelta, DefaultLookbackDelta)
	q.MaxConcurrency = defaultInt(q.MaxConcurrency, DefaultQueryMaxConcurrency)
	if c.Flags == nil {
		c.Flags = map[string]string{}
	}
	if c.Version == "" {
		c.Version = "0.1.0-devel"
	}
	return c
}

// defaultInt maps 0 to def and negative values to the type's "no limit".
func defaultInt[T int | int64 | time.Duration](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return -1
	}
	return v
}

// exceeds reports whether n is above limit, where a negative limit is off.
func exceeds[T int | int64](n, limit T) bool { return limit >= 0 && n > limit }
