package remotestore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestConfigValidate(t *testing.T) {
	const base = "metrics: remote\nremote:\n  write: {url: http://127.0.0.1:8428/api/v1/write}\n  query: {url: http://127.0.0.1:8428}\n"
	for _, tc := range []struct {
		name, yaml, wantErr string
	}{
		{name: "default is embedded", yaml: ""},
		{name: "remote", yaml: base},
		{name: "remote with everything", yaml: "metrics: remote\nlocal_retention: 2h\n" +
			"remote:\n  write:\n    url: https://mimir/api/v1/push\n    headers: {X-Scope-OrgID: team-a}\n    basic_auth: {username: u, password_file: p}\n    tls: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem}\n    queue: {capacity: 50000, max_shards: 4, max_samples_per_send: 1000, batch_send_deadline: 1s, min_backoff: 10ms, max_backoff: 2s}\n  query:\n    url: https://mimir/prometheus\n    bearer_token_file: t\n"},
		{name: "unknown mode", yaml: "metrics: mimir\n", wantErr: `storage.metrics must be "embedded" or "remote", got "mimir"`},
		{name: "remote block without remote mode", yaml: "remote:\n  write: {url: http://x/api/v1/write}\n", wantErr: "storage.remote is set but storage.metrics is embedded"},
		{name: "write url missing", yaml: "metrics: remote\nremote:\n  query: {url: http://x}\n", wantErr: "storage.remote.write.url is required"},
		{name: "query url missing", yaml: "metrics: remote\nremote:\n  write: {url: http://x/api/v1/write}\n", wantErr: "storage.remote.query.url is required"},
		{name: "not http", yaml: "metrics: remote\nremote:\n  write: {url: 'ftp://x'}\n  query: {url: http://x}\n", wantErr: `storage.remote.write.url "ftp://x" is not an http(s) URL`},
		{name: "negative retention", yaml: base + "local_retention: -1h\n", wantErr: "storage.local_retention must not be negative"},
		{name: "backoffs reversed", yaml: "metrics: remote\nremote:\n  write: {url: http://x/w, queue: {min_backoff: 10s, max_backoff: 1s}}\n  query: {url: http://x}\n", wantErr: "storage.remote.write.queue.min_backoff (10s) is above max_backoff (1s)"},
		{name: "negative shards", yaml: "metrics: remote\nremote:\n  write: {url: http://x/w, queue: {max_shards: -1}}\n  query: {url: http://x}\n", wantErr: "storage.remote.write.queue.max_shards must not be negative"},
		{name: "capacity below a request", yaml: "metrics: remote\nremote:\n  write: {url: http://x/w, queue: {capacity: 10, max_samples_per_send: 100}}\n  query: {url: http://x}\n", wantErr: "storage.remote.write.queue.capacity (10) is below max_samples_per_send (100)"},
		{name: "basic auth without password file", yaml: "metrics: remote\nremote:\n  write: {url: http://x/w, basic_auth: {username: u}}\n  query: {url: http://x}\n", wantErr: "storage.remote.write.basic_auth needs username and password_file"},
		{name: "two credentials", yaml: "metrics: remote\nremote:\n  write: {url: http://x/w}\n  query: {url: http://x, basic_auth: {username: u, password_file: p}, bearer_token_file: t}\n", wantErr: "storage.remote.query: basic_auth and bearer_token_file are exclusive"},
		{name: "cert without key", yaml: "metrics: remote\nremote:\n  write: {url: http://x/w, tls: {cert_file: c.pem}}\n  query: {url: http://x}\n", wantErr: "storage.remote.write.tls: cert_file and key_file go together"},
		{name: "credentials in headers", yaml: "metrics: remote\nremote:\n  write: {url: http://x/w, headers: {authorization: x}}\n  query: {url: http://x}\n", wantErr: "storage.remote.write.headers: authorization is set by the collector"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Config
			require.NoError(t, yaml.Unmarshal([]byte(tc.yaml), &c))
			err := c.Validate()
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestQueueDefaults(t *testing.T) {
	q := QueueConfig{MaxShards: 2}.withDefaults()
	require.Equal(t, QueueConfig{Capacity: DefaultCapacity, MaxShards: 2, MaxSamplesPerSend: DefaultMaxSamplesPerSend,
		BatchSendDeadline: DefaultBatchSendDeadline, MinBackoff: DefaultMinBackoff, MaxBackoff: DefaultMaxBackoff}, q)
	require.Equal(t, 30*time.Second, Endpoint{}.timeout())
}

func TestPromErrorType(t *testing.T) {
	for _, tc := range []struct {
		in     string
		status int
		want   string
	}{
		{"bad_data", 400, "bad_data"}, // Prometheus, Mimir, Thanos: kept
		{"400", 400, "bad_data"},      // VictoriaMetrics names the status
		{"422", 422, "execution"},
		{"503", 503, "unavailable"},
		{"", 504, "timeout"},
		{"500", 500, "internal"},
	} {
		require.Equal(t, tc.want, promErrorType(tc.in, tc.status), tc.in)
	}
}
