package metaapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/audit"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/metaapi"
	"github.com/mlectl/mlectl/registry"
)

// The actuator's header values (an Authorization: Bearer …) and a webhook
// URL's password and query values are never served; header names only to
// admins.
func TestModelReadsHideActuatorSecrets(t *testing.T) {
	e := newEnv(t, testTokens)
	const secret = "Bearer sk-live-4f7c1e"
	e.mustOK("PUT", "/api/v1/models/fraud", adminToken, metaapi.ModelSpec{Actuator: actuator.Config{
		Kind: "webhook", URL: "https://deploy:pa55word@rollouts.internal/hooks/fraud?token=qs-secret",
		Headers: map[string]string{"Authorization": secret, "X-Api-Key": "key-123"},
	}}, nil)
	// What the actuator will use is intact.
	st, err := e.svc.Registry.Get(t.Context(), "fraud")
	require.NoError(t, err)
	require.Equal(t, secret, st.Actuator.Headers["Authorization"])

	for _, tc := range []struct {
		caller, token string
		names         bool
	}{
		{"anonymous", "", false},
		{"viewer", viewerToken, false},
		{"responder", responderToken, false},
		{"admin", adminToken, true},
	} {
		t.Run(tc.caller, func(t *testing.T) {
			for _, path := range []string{"/api/v1/models", "/api/v1/models/fraud"} {
				a := e.call("GET", path, tc.token, nil)
				require.Equal(t, 200, a.code, a.Error)
				body := string(a.Data)
				for _, s := range []string{secret, "sk-live", "key-123", "pa55word", "qs-secret"} {
					assert.NotContains(t, body, s, "%s as %s", path, tc.caller)
				}
				var got registry.Model
				if strings.HasPrefix(body, "[") {
					var list []registry.ModelState
					require.NoError(t, json.Unmarshal(a.Data, &list))
					require.Len(t, list, 1)
					got = list[0].Model
				} else {
					var one registry.ModelState
					require.NoError(t, json.Unmarshal(a.Data, &one))
					got = one.Model
				}
				assert.Equal(t, "https://deploy:REDACTED@rollouts.internal/hooks/fraud?token=REDACTED", got.Actuator.URL)
				if tc.names {
					assert.Equal(t, map[string]string{"Authorization": actuator.Redacted, "X-Api-Key": actuator.Redacted}, got.Actuator.Headers)
				} else {
					assert.Nil(t, got.Actuator.Headers, "%s as %s: header names are for admins", path, tc.caller)
				}
			}
		})
	}
	// The PUT answer is redacted as well, and the placeholder cannot be
	// written back over the secret.
	a := e.call("PUT", "/api/v1/models/fraud", adminToken, metaapi.ModelSpec{Actuator: actuator.Config{
		Kind: "webhook", URL: "https://rollouts.internal/hooks/fraud", Headers: map[string]string{"Authorization": secret}}})
	require.Equal(t, 200, a.code, a.Error)
	assert.NotContains(t, string(a.Data), secret)
	a = e.call("PUT", "/api/v1/models/fraud", adminToken, metaapi.ModelSpec{Actuator: actuator.Config{
		Kind: "webhook", URL: "https://rollouts.internal/hooks/fraud", Headers: map[string]string{"Authorization": actuator.Redacted}}})
	assert.Equal(t, 400, a.code)
	assert.Contains(t, a.Error, "send the real value")
}

// CRLF in a header and link-local webhook targets are refused when a model
// is registered (400) and when declared in the config file (startup error).
func TestActuatorConfigRefusals(t *testing.T) {
	e := newEnv(t, testTokens)
	tests := []struct {
		name string
		cfg  actuator.Config
		msg  string
	}{
		{"CRLF in a header value", actuator.Config{Kind: "webhook", URL: "https://h.example/x",
			Headers: map[string]string{"Authorization": "Bearer x\r\nX-Injected: 1"}}, `control character '\r'`},
		{"LF in a header name", actuator.Config{Kind: "webhook", URL: "https://h.example/x",
			Headers: map[string]string{"X-A\nB": "1"}}, "not a valid HTTP header name"},
		{"IPv4 metadata address", actuator.Config{Kind: "webhook", URL: "http://169.254.169.254/latest/meta-data/"}, "link-local"},
		{"IPv6 link-local", actuator.Config{Kind: "webhook", URL: "http://[fe80::1]:8080/hook"}, "link-local"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.call("PUT", "/api/v1/models/fraud", adminToken, metaapi.ModelSpec{Actuator: tc.cfg})
			assert.Equal(t, 400, a.code)
			assert.Contains(t, a.Error, tc.msg)
			_, err := metaapi.Open(t.Context(), metaapi.Config{Dir: t.TempDir(), Models: []metaapi.ModelConfig{{Name: "fraud", Actuator: tc.cfg}}})
			assert.ErrorContains(t, err, tc.msg)
		})
	}
}

// A control character in a reason is the caller's mistake (400), not an
// actuator failure found after the fact (502): the exec actuator cannot put
// a NUL into MLECTL_REASON.
func TestActionReasonWithControlCharactersIs400(t *testing.T) {
	e := newEnv(t, testTokens)
	out := t.TempDir() + "/exec.out"
	e.setupModel("fraud", actuator.Config{Kind: "exec", Command: []string{"sh", "-c", `echo "$MLECTL_REASON" >> "$0"`, out}})
	for _, tc := range []struct{ action, reason string }{
		{"rollback", "psi spike\x00"},
		{"rollback", "line one\r\nline two"},
		{"promote", "ok\x1b[2J"},
		{"rollback", strings.Repeat("x", registry.MaxReasonBytes+1)},
	} {
		a := e.call("POST", "/api/v1/models/fraud/"+tc.action, adminToken, metaapi.ActionBody{Version: "v1", Reason: tc.reason})
		assert.Equal(t, 400, a.code, "%s %q: %s", tc.action, tc.reason, a.Error)
		assert.Contains(t, a.Error, "field reason")
	}
	assert.Equal(t, "v2", e.state("fraud").Production, "nothing was acted on")
	a := e.call("POST", "/api/v1/models/fraud/rollback", responderToken, metaapi.ActionBody{Reason: "psi spike\ton amount"})
	assert.Equal(t, 200, a.code, a.Error)
}

// 30 anonymous POSTs with ~1 MB paths (the issue grew meta/ by 26 MB in a
// second this way) leave a few bounded entries: the first refusal, the
// first 429 of the rate limit, and their repeat counts.
func TestAnonymousFloodCannotFillTheAuditLog(t *testing.T) {
	e := newEnv(t, testTokens)
	long := "/api/v1/models/" + strings.Repeat("a", 900_000) + "/rollback"
	codes := map[int]int{}
	for range 30 {
		a := e.call("POST", long, "", metaapi.ActionBody{Reason: "x"})
		codes[a.code]++
	}
	// The bucket refills one token a second, so on a slow machine a call or
	// two past the burst may still get its 401 (auth/limit_test.go checks
	// the exact arithmetic on a fixed clock).
	assert.Equal(t, 30, codes[401]+codes[429], "only refusals: %v", codes)
	assert.GreaterOrEqual(t, codes[401], auth.AnonMutationBurst, "%v", codes)
	assert.GreaterOrEqual(t, codes[429], 5, "the flood meets the rate limit: %v", codes)
	require.NoError(t, e.svc.Audit.Flush(t.Context()))
	es, err := e.svc.Audit.List(t.Context(), 1, 1000)
	require.NoError(t, err)
	require.Len(t, es, 4, "first 401, its repeat count, first 429, its repeat count")
	var calls uint64
	size := 0
	for _, en := range es {
		if en.Repeats > 0 {
			calls += en.Repeats // a summary stands for its repeats
		} else {
			calls++
		}
		assert.LessOrEqual(t, len(en.Path), audit.MaxPathBytes)
		assert.Equal(t, "127.0.0.1", en.Source)
		b, _ := json.Marshal(en)
		size += len(b)
	}
	assert.Equal(t, uint64(30), calls, "every refused call is accounted for")
	assert.Less(t, size, 8<<10)
}
