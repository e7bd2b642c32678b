package auth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/mlectl/mlectl/auth"
)

func TestNewValidatesConfig(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ops.token"), []byte("from-file\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty.token"), []byte("\n"), 0o600))
	sum := sha256.Sum256([]byte("hashed-secret"))
	good := auth.Config{Tokens: []auth.TokenSpec{
		{Name: "a", Token: "plain", Role: "admin"},
		{Name: "b", TokenFile: "ops.token", Role: "responder"},
		{Name: "c", SHA256: hex.EncodeToString(sum[:]), Role: "Viewer"},
	}}
	a, err := auth.New(good, dir)
	require.NoError(t, err)
	for secret, want := range map[string]auth.Principal{
		"plain": {Name: "a", Role: auth.RoleAdmin}, "from-file": {Name: "b", Role: auth.RoleResponder}, "hashed-secret": {Name: "c", Role: auth.RoleViewer},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+secret)
		p, err := a.Identify(r)
		require.NoError(t, err)
		assert.Equal(t, want, p)
	}

	tests := []struct {
		name string
		cfg  auth.Config
		msg  string
	}{
		{"bad mode", auth.Config{Mode: "off"}, "auth: \"off\""},
		{"no name", auth.Config{Tokens: []auth.TokenSpec{{Token: "x", Role: "admin"}}}, "tokens[0].name"},
		{"dup name", auth.Config{Tokens: []auth.TokenSpec{{Name: "a", Token: "x", Role: "admin"}, {Name: "a", Token: "y", Role: "admin"}}}, "used twice"},
		{"bad role", auth.Config{Tokens: []auth.TokenSpec{{Name: "a", Token: "x", Role: "root"}}}, "role \"root\""},
		{"two secrets", auth.Config{Tokens: []auth.TokenSpec{{Name: "a", Token: "x", SHA256: hex.EncodeToString(sum[:]), Role: "admin"}}}, "exactly one"},
		{"no secret", auth.Config{Tokens: []auth.TokenSpec{{Name: "a", Role: "admin"}}}, "exactly one"},
		{"bad sha", auth.Config{Tokens: []auth.TokenSpec{{Name: "a", SHA256: "xyz", Role: "admin"}}}, "64 hex digits"},
		{"missing file", auth.Config{Tokens: []auth.TokenSpec{{Name: "a", TokenFile: "nope", Role: "admin"}}}, "token_file"},
		{"empty file", auth.Config{Tokens: []auth.TokenSpec{{Name: "a", TokenFile: "empty.token", Role: "admin"}}}, "is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auth.New(tc.cfg, dir)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestRequire(t *testing.T) {
	a, err := auth.New(auth.Config{Tokens: []auth.TokenSpec{{Name: "v", Token: "vt", Role: "viewer"}, {Name: "r", Token: "rt", Role: "responder"}}}, "")
	require.NoError(t, err)
	var refused []int
	h := a.Require(auth.RoleResponder, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(auth.FromContext(r.Context()).Name))
	}), func(r *http.Request, p auth.Principal, status int, msg string) { refused = append(refused, status) })
	tests := []struct {
		header string
		code   int
	}{
		{"", 401}, {"Bearer nope", 401}, {"Basic dXNlcjpwYXNz", 401}, {"Bearer vt", 403}, {"Bearer rt", 200}, {"bearer rt", 200},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("POST", "/", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		assert.Equal(t, tc.code, w.Code, tc.header)
		if tc.code == 200 {
			assert.Equal(t, "r", w.Body.String())
		}
		if tc.code == 401 {
			assert.NotEmpty(t, w.Header().Get("WWW-Authenticate"))
		}
	}
	assert.Equal(t, []int{401, 401, 401, 403}, refused)
}

func TestDecodeTokens(t *testing.T) {
	var doc struct {
		Auth   string    `yaml:"auth"`
		Tokens yaml.Node `yaml:"tokens"`
	}
	require.NoError(t, yaml.Unmarshal([]byte("auth: strict\ntokens:\n  - {name: ci, token: s3cret, role: admin}\n  - {name: grafana, token_file: /run/secrets/g, role: viewer}\n"), &doc))
	specs, err := auth.DecodeTokens(&doc.Tokens)
	require.NoError(t, err)
	assert.Equal(t, []auth.TokenSpec{{Name: "ci", Token: "s3cret", Role: "admin"}, {Name: "grafana", TokenFile: "/run/secrets/g", Role: "viewer"}}, specs)

	require.NoError(t, yaml.Unmarshal([]byte("tokens:\n  - {name: ci, tokn: s3cret, role: admin}\n"), &doc))
	_, err = auth.DecodeTokens(&doc.Tokens)
	assert.ErrorContains(t, err, "tokn")

	specs, err = auth.DecodeTokens(&yaml.Node{})
	require.NoError(t, err)
	assert.Empty(t, specs)
}

// An ingest token sits between viewer and responder: it may send data but
// not act on models, and RequireIngest only checks when ingest_auth is token.
func TestRequireIngest(t *testing.T) {
	specs := []auth.TokenSpec{
		{Name: "v", Token: "vt", Role: "viewer"}, {Name: "i", Token: "it", Role: "Ingest"},
		{Name: "r", Token: "rt", Role: "responder"}, {Name: "a", Token: "at", Role: "admin"},
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(auth.FromContext(r.Context()).Name))
	})
	tests := []struct {
		mode, ingest string
		header       string
		code         int
		body         string
	}{
		{"", "", "", 200, ""},
		{"", "open", "Bearer nope", 200, ""},
		{auth.ModeStrict, "", "", 200, ""}, // strict guards reads; ingest has its own switch
		{"", "token", "", 401, "needs an API token with role ingest or higher"},
		{"", "token", "Bearer nope", 401, "unknown API token"},
		{"", "token", "Basic dXNlcjpwYXNz", 401, "Bearer <token>"},
		{"", "token", "Bearer vt", 403, `token \"v\" has role viewer; this call needs ingest or higher`},
		{"", "token", "Bearer it", 200, "i"},
		{"", "token", "Bearer rt", 200, "r"},
		{auth.ModeStrict, "token", "Bearer at", 200, "a"},
	}
	for _, tc := range tests {
		t.Run(tc.mode+"/"+tc.ingest+"/"+tc.header, func(t *testing.T) {
			a, err := auth.New(auth.Config{Mode: tc.mode, Ingest: tc.ingest, Tokens: specs}, "")
			require.NoError(t, err)
			var refused []int
			h := a.RequireIngest(ok, func(_ *http.Request, _ auth.Principal, status int, _ string) { refused = append(refused, status) })
			r := httptest.NewRequest("POST", "/api/v1/write", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, tc.code, w.Code)
			assert.Contains(t, w.Body.String(), tc.body)
			if tc.code != 200 {
				assert.Equal(t, []int{tc.code}, refused)
			}
		})
	}

	a, err := auth.New(auth.Config{Tokens: specs}, "")
	require.NoError(t, err)
	assert.Equal(t, auth.IngestOpen, a.Ingest())
	// The ingest role may not act on models.
	r := httptest.NewRequest("POST", "/api/v1/models/fraud/rollback", nil)
	r.Header.Set("Authorization", "Bearer it")
	p, err := a.Identify(r)
	require.NoError(t, err)
	assert.Equal(t, "ingest", p.Role.String())
	code, msg := a.Decide(p, nil, auth.RoleResponder)
	assert.Equal(t, http.StatusForbidden, code)
	assert.Equal(t, `token "i" has role ingest; this call needs responder or higher`, msg)

	for _, bad := range []struct {
		cfg auth.Config
		msg string
	}{
		{auth.Config{Ingest: "closed"}, `ingest_auth: "closed" is not one of open, token`},
		{auth.Config{Mode: auth.ModeDisabled, Ingest: auth.IngestToken}, "auth: disabled turns every check off"},
	} {
		_, err := auth.New(bad.cfg, "")
		assert.ErrorContains(t, err, bad.msg)
	}
}

// metrics_auth: token demands a viewer token for /metrics in every mode
// but disabled; open serves it to anyone; unset follows the mode.
func TestAdmitMetrics(t *testing.T) {
	specs := []auth.TokenSpec{{Name: "v", Token: "vt", Role: "viewer"}}
	tests := []struct {
		mode, metrics string
		header        string
		code          int
	}{
		{"", "", "", 200},
		{"", auth.MetricsToken, "", 401},
		{"", auth.MetricsToken, "Bearer nope", 401},
		{"", auth.MetricsToken, "Bearer vt", 200},
		{auth.ModeStrict, "", "", 401},
		{auth.ModeStrict, "", "Bearer vt", 200},
		{auth.ModeStrict, auth.MetricsOpen, "", 200},
		{auth.ModeStrict, auth.MetricsOpen, "Bearer nope", 200},
		{auth.ModeDisabled, "", "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.mode+"/"+tc.metrics+"/"+tc.header, func(t *testing.T) {
			a, err := auth.New(auth.Config{Mode: tc.mode, Metrics: tc.metrics, Tokens: specs}, "")
			require.NoError(t, err)
			r := httptest.NewRequest("GET", "/metrics", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			w := httptest.NewRecorder()
			if _, ok := a.AdmitMetrics(w, r); ok {
				w.WriteHeader(http.StatusOK)
			}
			assert.Equal(t, tc.code, w.Code)
		})
	}
	for _, bad := range []struct {
		cfg auth.Config
		msg string
	}{
		{auth.Config{Metrics: "closed"}, `metrics_auth: "closed" is not one of open, token`},
		{auth.Config{Mode: auth.ModeDisabled, Metrics: auth.MetricsToken}, "auth: disabled turns every check off"},
	} {
		_, err := auth.New(bad.cfg, "")
		assert.ErrorContains(t, err, bad.msg)
	}
}
