package api

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFeedbackQualitySeries logs binary scores, posts labels (some late,
// one early, one unknown, one bad line) and reads the quality series back
// from the TSDB.
func TestFeedbackQualitySeries(t *testing.T) {
	e := newEnv(t, Limits{})
	scores := []float64{0.1, 0.4, 0.35, 0.8}
	var preds []string
	for i, s := range scores {
		preds = append(preds, fmt.Sprintf(`{"model":"fraud","version":"v7","request_id":"q-%d","ts":%d,"prediction":%v}`, i, 1795687200000+i*1000, s))
	}
	code, resp := e.post("/api/v1/predictions", gzipE, lines(preds...))
	require.Equal(t, http.StatusOK, code, "%+v", resp)

	code, resp = e.post("/api/v1/feedback", zstdE, lines(
		`{"request_id":"q-0","label":0,"ts":1795687260000}`,
		`{"request_id":"q-1","label":0,"ts":1795687321000}`,
		`{"request_id":"q-2","label":1,"ts":"2026-11-26T10:03:02Z"}`,
		`{"request_id":"nope","label":1}`,
		`{"request_id":"q-3","label":}`,
	))
	require.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, 4, resp.Accepted)
	assert.Equal(t, 1, resp.Rejected)
	require.NotNil(t, resp.Matched)
	assert.Equal(t, 3, *resp.Matched)
	require.Len(t, resp.Errors, 1)
	assert.Equal(t, 5, resp.Errors[0].Line)
	assert.Equal(t, "label", resp.Errors[0].Field)

	// Late label for q-3 (a day later) is normal.
	code, _ = e.post("/api/v1/feedback", plain, `{"request_id":"q-3","label":1,"ts":1795773603000}`)
	require.Equal(t, http.StatusOK, code)

	ts := time.UnixMilli(1795773700000)
	key := `{model="fraud", role="production", version="v7"}`
	get := func(name string) float64 {
		v, ok := e.series(ts, name)[key]
		require.True(t, ok, "%s missing", name)
		return v
	}
	// sklearn: accuracy_score([0,0,1,1],[0,0,0,1]) = 0.75, precision 1,
	// recall 0.5, f1 2/3, roc_auc_score([0,0,1,1],[.1,.4,.35,.8]) = 0.75.
	assert.InDelta(t, 0.75, get("mle_model_accuracy"), 1e-12)
	assert.InDelta(t, 1.0, get("mle_model_precision"), 1e-12)
	assert.InDelta(t, 0.5, get("mle_model_recall"), 1e-12)
	assert.InDelta(t, 2.0/3, get("mle_model_f1"), 1e-12)
	assert.InDelta(t, 0.75, get("mle_model_roc_auc"), 1e-12)
	ll := -(math.Log(0.9) + math.Log(0.6) + math.Log(0.35) + math.Log(0.8)) / 4
	assert.InDelta(t, ll, get("mle_model_log_loss"), 1e-12)
	assert.InDelta(t, 1.0, get("mle_label_coverage_ratio"), 1e-12)
	// The four joined pairs are the window the metrics above are over.
	assert.Equal(t, 4.0, get("mle_quality_window_pairs"))
	// Lags: 60 s, 120 s, 180 s, 86400 s.
	assert.InDelta(t, (60+120+180+86400)/4.0, get("mle_label_lag_seconds"), 1e-9)
	_, hasMAE := e.series(ts, "mle_model_mae")[key]
	assert.False(t, hasMAE, "regression metrics are not written for a classifier")
	assert.True(t, strings.HasPrefix(key, "{model"))
}
