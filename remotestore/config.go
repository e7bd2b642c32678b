package remotestore

import (
	"errors"
	"fmt"
	"net/textproto"
	"net/url"
	"time"

	config_util "github.com/prometheus/common/config"
)

// Values of storage.metrics.
const (
	MetricsEmbedded = "embedded"
	MetricsRemote   = "remote"
)

// Defaults of storage.remote.write.queue (Prometheus's remote-write queue
// defaults where the meaning is the same).
const (
	DefaultCapacity          = 100_000
	DefaultMaxShards         = 8
	DefaultMaxSamplesPerSend = 2_000
	DefaultBatchSendDeadline = 5 * time.Second
	DefaultMinBackoff        = 30 * time.Millisecond
	DefaultMaxBackoff        = 5 * time.Second
	DefaultRemoteTimeout     = 30 * time.Second
)

// Config is the collector config's `storage:` block.
type Config struct {
	// Metrics is embedded (default: the collector's own TSDB is the
	// metrics store) or remote (Remote's backend is).
	Metrics string `yaml:"metrics,omitempty"`
	// LocalRetention keeps the embedded TSDB as a short-term copy of what
	// is forwarded in remote mode (0: none). Queries never read it.
	LocalRetention time.Duration `yaml:"local_retention,omitempty"`
	Remote         RemoteConfig  `yaml:"remote,omitempty"`
}

// RemoteConfig names the backend's remote-write and query endpoints.
type RemoteConfig struct {
	Write WriteConfig `yaml:"write,omitempty"`
	Query Endpoint    `yaml:"query,omitempty"`
}

// WriteConfig is the remote-write 1.0 target and its queue.
type WriteConfig struct {
	Endpoint `yaml:",inline"`
	Queue    QueueConfig `yaml:"queue,omitempty"`
}

// Endpoint is one HTTP endpoint of the backend with its tenancy headers,
// authentication and TLS.
type Endpoint struct {
	URL string `yaml:"url,omitempty"`
	// Headers are sent with every request (X-Scope-OrgID for Mimir and
	// Thanos Receive tenancy).
	Headers         map[string]string `yaml:"headers,omitempty"`
	BasicAuth       *BasicAuth        `yaml:"basic_auth,omitempty"`
	BearerTokenFile string            `yaml:"bearer_token_file,omitempty"`
	TLS             *TLSConfig        `yaml:"tls,omitempty"`
	// Timeout bounds one request (default DefaultRemoteTimeout).
	Timeout time.Duration `yaml:"timeout,omitempty"`
}

// BasicAuth reads the password from a file, never from the config itself.
type BasicAuth struct {
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
}

// TLSConfig is the client side of TLS to the backend.
type TLSConfig struct {
	CAFile             string `yaml:"ca_file,omitempty"`
	CertFile           string `yaml:"cert_file,omitempty"`
	KeyFile            string `yaml:"key_file,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty"`
}

// QueueConfig tunes the forwarding queue's sender.
type QueueConfig struct {
	// Capacity is how many samples the sender reads ahead from the queue
	// per round; a round is split over the shards by series, so a series'
	// samples stay in order.
	Capacity int `yaml:"capacity,omitempty"`
	// MaxShards is how many requests are in flight at once.
	MaxShards int `yaml:"max_shards,omitempty"`
	// MaxSamplesPerSend caps the samples of one request.
	MaxSamplesPerSend int `yaml:"max_samples_per_send,omitempty"`
	// BatchSendDeadline is the longest a partly filled round waits for
	// more samples before it is sent.
	BatchSendDeadline time.Duration `yaml:"batch_send_deadline,omitempty"`
	// MinBackoff and MaxBackoff bound the wait between retries of a
	// failed request (doubling from min to max).
	MinBackoff time.Duration `yaml:"min_backoff,omitempty"`
	MaxBackoff time.Duration `yaml:"max_backoff,omitempty"`
}

// IsRemote reports whether the metrics live in the remote backend.
func (c Config) IsRemote() bool { return c.Metrics == MetricsRemote }

// Validate checks the block; errors name the field.
func (c Config) Validate() error {
	switch c.Metrics {
	case "", MetricsEmbedded:
		if c.Remote.Write.URL != "" || c.Remote.Query.URL != "" {
			return errors.New("storage.remote is set but storage.metrics is embedded: set storage.metrics: remote to use the backend, or remove storage.remote")
		}
		if c.LocalRetention != 0 {
			return errors.New("storage.local_retention applies only to storage.metrics: remote (the embedded TSDB's retention is --retention)")
		}
		return nil
	case MetricsRemote:
	default:
		return fmt.Errorf("storage.metrics must be %q or %q, got %q", MetricsEmbedded, MetricsRemote, c.Metrics)
	}
	if c.LocalRetention < 0 {
		return fmt.Errorf("storage.local_retention must not be negative, got %s", c.LocalRetention)
	}
	if err := c.Remote.Write.Endpoint.validate("storage.remote.write"); err != nil {
		return err
	}
	if err := c.Remote.Query.validate("storage.remote.query"); err != nil {
		return err
	}
	q := c.Remote.Write.Queue
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"capacity", int64(q.Capacity)}, {"max_shards", int64(q.MaxShards)}, {"max_samples_per_send", int64(q.MaxSamplesPerSend)},
		{"batch_send_deadline", int64(q.BatchSendDeadline)}, {"min_backoff", int64(q.MinBackoff)}, {"max_backoff", int64(q.MaxBackoff)},
	} {
		if f.v < 0 {
			return fmt.Errorf("storage.remote.write.queue.%s must not be negative", f.name)
		}
	}
	q = q.withDefaults()
	if q.MinBackoff > q.MaxBackoff {
		return fmt.Errorf("storage.remote.write.queue.min_backoff (%s) is above max_backoff (%s)", q.MinBackoff, q.MaxBackoff)
	}
	if q.Capacity < q.MaxSamplesPerSend {
		return fmt.Errorf("storage.remote.write.queue.capacity (%d) is below max_samples_per_send (%d): a round could not fill one request", q.Capacity, q.MaxSamplesPerSend)
	}
	return nil
}

func (e Endpoint) validate(field string) error {
	if e.URL == "" {
		return fmt.Errorf("%s.url is required with storage.metrics: remote", field)
	}
	u, err := url.Parse(e.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s.url %q is not an http(s) URL", field, e.URL)
	}
	if e.Timeout < 0 {
		return fmt.Errorf("%s.timeout must not be negative, got %s", field, e.Timeout)
	}
	if b := e.BasicAuth; b != nil {
		if b.Username == "" || b.PasswordFile == "" {
			return fmt.Errorf("%s.basic_auth needs username and password_file", field)
		}
		if e.BearerTokenFile != "" {
			return fmt.Errorf("%s: basic_auth and bearer_token_file are exclusive", field)
		}
	}
	if t := e.TLS; t != nil && (t.CertFile == "") != (t.KeyFile == "") {
		return fmt.Errorf("%s.tls: cert_file and key_file go together", field)
	}
	for k := range e.Headers {
		switch textproto.CanonicalMIMEHeaderKey(k) {
		case "Authorization", "Content-Type", "Content-Encoding", "Content-Length", "User-Agent", "X-Prometheus-Remote-Write-Version":
			return fmt.Errorf("%s.headers: %s is set by the collector (use basic_auth or bearer_token_file for credentials)", field, k)
		}
	}
	return nil
}

// HTTPClientConfig is the endpoint's auth and TLS as Prometheus's HTTP
// client configuration, relative files resolved against baseDir.
func (e Endpoint) HTTPClientConfig(baseDir string) (config_util.HTTPClientConfig, error) {
	hc := config_util.DefaultHTTPClientConfig
	if b := e.BasicAuth; b != nil {
		hc.BasicAuth = &config_util.BasicAuth{Username: b.Username, PasswordFile: b.PasswordFile}
	}
	if e.BearerTokenFile != "" {
		hc.Authorization = &config_util.Authorization{Type: "Bearer", CredentialsFile: e.BearerTokenFile}
	}
	if t := e.TLS; t != nil {
		hc.TLSConfig = config_util.TLSConfig{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile, InsecureSkipVerify: t.InsecureSkipVerify}
	}
	if baseDir != "" {
		hc.SetDirectory(baseDir)
	}
	if err := hc.Validate(); err != nil {
		return hc, err
	}
	return hc, nil
}

func (e Endpoint) timeout() time.Duration {
	if e.Timeout == 0 {
		return DefaultRemoteTimeout
	}
	return e.Timeout
}

func (q QueueConfig) withDefaults() QueueConfig {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&q.Capacity, DefaultCapacity)
	def(&q.MaxShards, DefaultMaxShards)
	def(&q.MaxSamplesPerSend, DefaultMaxSamplesPerSend)
	defD(&q.BatchSendDeadline, DefaultBatchSendDeadline)
	defD(&q.MinBackoff, DefaultMinBackoff)
	defD(&q.MaxBackoff, DefaultMaxBackoff)
	return q
}
