package auth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/auth"
)

// TestActingForOnlyFromDelegatingTokens: a delegating token's acting-for
// name is who acted ("alice via ssh-gateway"); every other caller that
// sends one is refused (403), so an ordinary token cannot write someone
// else's name into the audit log.
func TestActingForOnlyFromDelegatingTokens(t *testing.T) {
	tokens := []auth.TokenSpec{
		{Name: "ssh-gateway", Token: "gw", Role: "responder", Delegate: true},
		{Name: "ci", Token: "ci", Role: "admin"},
	}
	tests := []struct {
		name     string
		mode     string
		bearer   string
		actFor   []string
		code     int
		actor    string
		errorMsg string
	}{
		{name: "delegate acts for alice", bearer: "gw", actFor: []string{"oncall-alice"}, code: 200, actor: "oncall-alice via ssh-gateway"},
		{name: "delegate without header is itself", bearer: "gw", code: 200, actor: "ssh-gateway"},
		{name: "ordinary token is refused", bearer: "ci", actFor: []string{"oncall-alice"}, code: 403, errorMsg: `is not one, so it may not act for`},
		{name: "ordinary token without header", bearer: "ci", code: 200, actor: "ci"},
		{name: "anonymous is refused", actFor: []string{"oncall-alice"}, code: 403, errorMsg: "needs a token configured with delegate: true; this request has no token"},
		{name: "unknown token stays 401", bearer: "nope", actFor: []string{"oncall-alice"}, code: 401, errorMsg: "unknown API token"},
		{name: "a name with a space cannot forge via", bearer: "gw", actFor: []string{"bob via root"}, code: 400, errorMsg: "is not a name"},
		{name: "empty name", bearer: "gw", actFor: []string{""}, code: 400, errorMsg: "is not a name"},
		{name: "two names", bearer: "gw", actFor: []string{"alice", "bob"}, code: 400, errorMsg: "is not a name"},
		{name: "disabled: delegate still names", mode: auth.ModeDisabled, bearer: "gw", actFor: []string{"oncall-alice"}, code: 200, actor: "oncall-alice via ssh-gateway"},
		{name: "disabled: ordinary token is ignored", mode: auth.ModeDisabled, bearer: "ci", actFor: []string{"oncall-alice"}, code: 200, actor: auth.Anonymous},
		{name: "disabled: anonymous is ignored", mode: auth.ModeDisabled, actFor: []string{"oncall-alice"}, code: 200, actor: auth.Anonymous},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := auth.New(auth.Config{Mode: tc.mode, Tokens: tokens}, "")
			require.NoError(t, err)
			var refusedAs string
			h := a.Require(auth.RoleResponder, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(auth.FromContext(r.Context()).Name))
			}), func(r *http.Request, p auth.Principal, status int, msg string) { refusedAs = p.Name })
			r := httptest.NewRequest(http.MethodPost, "/api/v1/models/demand/rollback", nil)
			if tc.bearer != "" {
				r.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			for _, v := range tc.actFor {
				r.Header.Add(auth.HeaderActingFor, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			require.Equal(t, tc.code, w.Code, w.Body.String())
			if tc.code == 200 {
				assert.Equal(t, tc.actor, w.Body.String())
				return
			}
			assert.Contains(t, w.Body.String(), tc.errorMsg)
			assert.NotContains(t, refusedAs, "alice", "a refused caller is audited under its own name")
		})
	}
}

func TestIdentifyKeepsBothNames(t *testing.T) {
	a, err := auth.New(auth.Config{Tokens: []auth.TokenSpec{{Name: "ssh-gateway", Token: "gw", Role: "admin", Delegate: true}}}, "")
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer gw")
	r.Header.Set(auth.HeaderActingFor, "oncall-alice")
	p, err := a.Identify(r)
	require.NoError(t, err)
	assert.Equal(t, auth.Principal{Name: "oncall-alice via ssh-gateway", Role: auth.RoleAdmin, ActingFor: "oncall-alice", Via: "ssh-gateway"}, p)
}
