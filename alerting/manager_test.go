package alerting

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/events"
)

const forRules = `
groups:
  - name: errors
    interval: 1m
    rules:
      - alert: HighErrors
        expr: errors > 5
        for: 2m
        keep_firing_for: 2m
        labels: {severity: page}
        annotations: {summary: "errors at {{ $value }}"}
`

// TestForAndKeepFiringFor drives evaluation minute by minute: the alert is
// pending for `for`, fires, keeps firing for keep_firing_for after the
// condition clears, then resolves; ALERTS follows; transitions are events.
func TestForAndKeepFiringFor(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	// errors=10 for minutes 0..5, 0 from minute 6.
	appendSeries(t, db, labels.FromStrings("__name__", "errors", "model", "fraud"), 0, 12, func(m int) float64 {
		if m <= 5 {
			return 10
		}
		return 0
	})
	rec := &eventLog{}
	now := t0
	m, err := New(Options{Storage: db, RuleFiles: []string{writeFile(t, "r.yml", forRules)}, Recorder: rec, Now: func() time.Time { return now }})
	require.NoError(t, err)
	defer m.Stop()

	want := []struct {
		min      int
		state    string // "" = no active alert
		alertsTS string // alertstate of the ALERTS sample at this time, "" = none
	}{
		{0, "pending", ""}, // not restored yet: Prometheus writes no ALERTS before restore
		{1, "pending", ""},
		{2, "firing", "firing"},
		{5, "firing", "firing"},
		{6, "firing", "firing"}, // condition false, keep_firing_for 2m
		{7, "firing", "firing"},
		{8, "", ""}, // resolved at 6m+2m
	}
	evalMin := 0
	for _, w := range want {
		for ; evalMin <= w.min; evalMin++ {
			now = at(evalMin)
			m.EvalAt(context.Background(), at(evalMin))
		}
		states := alertStates(m, "HighErrors")
		if w.state == "" {
			assert.Empty(t, states, "minute %d", w.min)
		} else {
			assert.Equal(t, []string{w.state}, states, "minute %d", w.min)
		}
		v := query(t, db, `ALERTS{alertname="HighErrors"}`, at(w.min))
		if w.alertsTS == "" {
			assert.Empty(t, v, "ALERTS at minute %d", w.min)
		} else if assert.Len(t, v, 1, "ALERTS at minute %d", w.min) {
			assert.Equal(t, w.alertsTS, v[0].Metric.Get("alertstate"))
			assert.Equal(t, "fraud", v[0].Metric.Get("model"))
		}
	}
	// ALERTS_FOR_STATE holds the activation time (minute 0) while firing.
	fs := query(t, db, `ALERTS_FOR_STATE{alertname="HighErrors"}`, at(5))
	require.Len(t, fs, 1)
	assert.Equal(t, float64(t0.Unix()), fs[0].F)

	evs := rec.all()
	require.Len(t, evs, 2)
	assert.Equal(t, events.KindAlertFiring, evs[0].Kind)
	assert.Equal(t, at(2), evs[0].Time)
	assert.Equal(t, "fraud", evs[0].Model)
	assert.Equal(t, ActorRules, evs[0].Actor)
	assert.Contains(t, evs[0].Text, "errors at 10")
	assert.Equal(t, events.KindAlertResolved, evs[1].Kind)
	assert.Equal(t, at(8), evs[1].Time)
}

const restoreRules = `
groups:
  - name: restore
    interval: 1m
    rules:
      - alert: SlowBurn
        expr: burn > 1
        for: 5m
      - alert: FastBurn
        expr: burn > 1
        for: 1m
`

// TestStateRestoredAfterRestart closes storage and manager mid-pending and
// mid-firing, reopens both, and checks Prometheus's restore: the pending
// alert keeps its progress (shifted by the downtime) instead of starting its
// `for` again.
func TestStateRestoredAfterRestart(t *testing.T) {
	dir := t.TempDir()
	rf := writeFile(t, "r.yml", restoreRules)
	burn := labels.FromStrings("__name__", "burn", "model", "fraud")
	opts := func(db Options) Options {
		db.RuleFiles = []string{rf}
		db.ForGracePeriod = time.Minute
		return db
	}

	db := openDB(t, dir)
	appendSeries(t, db, burn, 0, 3, func(int) float64 { return 2 })
	m, err := New(opts(Options{Storage: db}))
	require.NoError(t, err)
	for i := 0; i <= 3; i++ {
		m.EvalAt(context.Background(), at(i))
	}
	assert.Equal(t, []string{"pending"}, alertStates(m, "SlowBurn"))
	assert.Equal(t, []string{"firing"}, alertStates(m, "FastBurn"))
	m.Stop()
	require.NoError(t, db.Close())

	// Down for minute 4; back at minute 5.
	db = openDB(t, dir)
	defer db.Close()
	appendSeries(t, db, burn, 4, 12, func(int) float64 { return 2 })
	m, err = New(opts(Options{Storage: db}))
	require.NoError(t, err)
	defer m.Stop()

	m.EvalAt(context.Background(), at(5))
	m.EvalAt(context.Background(), at(6)) // second round: restore runs after it

	// SlowBurn was pending 3m (0..3) when it went down at minute 3 and is
	// restored at minute 6: activeAt = 0 + (6-3) = minute 3, so it fires at
	// minute 8, not at minute 10 (5m after the restart's first evaluation).
	m.EvalAt(context.Background(), at(7))
	assert.Equal(t, []string{"firing"}, alertStates(m, "FastBurn"))
	assert.Equal(t, []string{"pending"}, alertStates(m, "SlowBurn"))
	m.EvalAt(context.Background(), at(8))
	assert.Equal(t, []string{"firing"}, alertStates(m, "SlowBurn"))
	as := m.Alerts()
	require.Len(t, as, 2)
	for _, a := range as {
		if a.Name == "SlowBurn" {
			assert.Equal(t, at(3), a.ActiveAt)
		}
	}
}
