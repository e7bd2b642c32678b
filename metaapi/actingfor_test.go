package metaapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/audit"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/mlectl/mlectl/metaapi"
)

const gatewayToken = "gw-0123456789"

// TestActingForNamesThePersonInAuditAndEvents: a runbook rollback sent by
// a delegating token for oncall-alice is recorded, in the audit log and
// the event the timeline is built from, as "oncall-alice via
// ssh-gateway"; an ordinary token that names someone is refused (403)
// and audited under its own name, and nothing happens.
func TestActingForNamesThePersonInAuditAndEvents(t *testing.T) {
	cfg := auth.Config{Tokens: append([]auth.TokenSpec{{Name: "ssh-gateway", Token: gatewayToken, Role: "responder", Delegate: true}}, testTokens.Tokens...)}
	e := newEnv(t, cfg)
	e.setupModel("fraud", actuator.Config{Kind: "file", Path: filepath.Join(t.TempDir(), "routing.json")})
	step := func(token, actingFor string) answer {
		b, err := json.Marshal(metaapi.StepBody{Vars: map[string]string{"model": "fraud"}})
		require.NoError(t, err)
		req, err := http.NewRequest("POST", e.srv.URL+"/api/v1/runbooks/feature-drift/steps/5", bytes.NewReader(b))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set(auth.HeaderActingFor, actingFor)
		resp, raw := testutil.Send(t, req)
		var a answer
		require.NoError(t, json.Unmarshal(raw, &a), "body: %s", raw)
		a.code = resp.StatusCode
		return a
	}

	forged := step(responderToken, "oncall-alice")
	require.Equal(t, 403, forged.code, forged.Error)
	assert.Contains(t, forged.Error, `token "bob-oncall" is not one, so it may not act for "oncall-alice"`)
	assert.Equal(t, "v2", e.state("fraud").Production, "the refused step did nothing")

	ok := step(gatewayToken, "oncall-alice")
	require.Equal(t, 200, ok.code, ok.Error)
	assert.Equal(t, "v1", e.state("fraud").Production)

	var entries []audit.Entry
	e.mustOK("GET", "/api/v1/audit", viewerToken, nil, &entries)
	require.GreaterOrEqual(t, len(entries), 2)
	refused, done := entries[len(entries)-2], entries[len(entries)-1]
	assert.Equal(t, "bob-oncall", refused.Actor, "an ordinary token cannot write alice's name into the audit log")
	assert.Equal(t, 403, refused.Status)
	assert.Equal(t, "oncall-alice via ssh-gateway", done.Actor)
	assert.Equal(t, "responder", done.Role)
	assert.Equal(t, 200, done.Status)

	var evs []events.Event
	e.mustOK("GET", "/api/v1/events?kind=runbook_step", "", nil, &evs)
	require.Len(t, evs, 1)
	assert.Equal(t, "oncall-alice via ssh-gateway", evs[0].Actor)
	e.mustOK("GET", "/api/v1/events?kind=action", "", nil, &evs)
	require.NotEmpty(t, evs)
	last := evs[len(evs)-1]
	assert.Equal(t, "rollback", last.Action)
	assert.Equal(t, "oncall-alice via ssh-gateway", last.Actor)
}
