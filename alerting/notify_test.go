package alerting

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const simpleRule = `
groups:
  - name: simple
    interval: 1m
    rules:
      - alert: ModelDown
        expr: up == 0
        labels: {severity: page}
        annotations: {summary: "model {{ $labels.model }} is down", runbook: error-rate-slo-burn}
`

// receiver is a real HTTP webhook receiver on 127.0.0.1.
type receiver struct {
	mu   sync.Mutex
	msgs []WebhookMessage
	hits atomic.Int64
	// fail answers 500 to this many requests first.
	fail atomic.Int64
	srv  *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		if r.fail.Add(-1) >= 0 {
			http.Error(w, "receiver down", http.StatusInternalServerError)
			return
		}
		b, _ := io.ReadAll(req.Body)
		var m WebhookMessage
		if err := json.Unmarshal(b, &m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.msgs = append(r.msgs, m)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) messages() []WebhookMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]WebhookMessage(nil), r.msgs...)
}

// seedUp writes up{model="fraud"}: 1, then 0 for minutes [downFrom, downTo].
func seedUp(t *testing.T, db appendable, downFrom, downTo, last int) {
	for m := 0; m <= last; m++ {
		v := 1.0
		if m >= downFrom && m <= downTo {
			v = 0
		}
		appendAt(t, db, labels.FromStrings("__name__", "up", "model", "fraud"), m, v)
	}
}

func TestWebhookFiringThenResolved(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	seedUp(t, db, 2, 4, 8)
	rcv := newReceiver(t)
	rcv.fail.Store(2) // two 500s first: delivered on the third attempt
	m, err := New(Options{
		Storage: db, RuleFiles: []string{writeFile(t, "r.yml", simpleRule)},
		Webhooks:    []string{rcv.srv.URL + "/hook"},
		Webhook:     WebhookOptions{Backoff: 5 * time.Millisecond},
		ExternalURL: "http://collector:9099",
	})
	require.NoError(t, err)
	defer m.Stop()
	for min := 0; min <= 8; min++ {
		m.EvalAt(context.Background(), at(min))
	}
	require.Eventually(t, func() bool { return len(rcv.messages()) == 2 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, int64(4), rcv.hits.Load(), "2 failed attempts + 2 deliveries")

	msgs := rcv.messages()
	lset := labels.FromStrings("alertname", "ModelDown", "model", "fraud", "severity", "page")
	for i, status := range []string{"firing", "resolved"} {
		msg := msgs[i]
		assert.Equal(t, "4", msg.Version)
		assert.Equal(t, status, msg.Status)
		assert.Equal(t, "mlectl-webhook", msg.Receiver)
		assert.Equal(t, `{}:{alertname="ModelDown", model="fraud", severity="page"}`, msg.GroupKey)
		assert.Equal(t, "http://collector:9099", msg.ExternalURL)
		require.Len(t, msg.Alerts, 1)
		a := msg.Alerts[0]
		assert.Equal(t, status, a.Status)
		assert.Equal(t, lset.Map(), a.Labels)
		assert.Equal(t, "model fraud is down", a.Annotations["summary"])
		assert.Equal(t, Fingerprint(lset), a.Fingerprint)
		assert.Len(t, a.Fingerprint, 16)
		assert.Equal(t, at(2), a.StartsAt)
		assert.Contains(t, a.GeneratorURL, "http://collector:9099/graph?g0.expr=up+%3D%3D+0")
	}
	assert.True(t, msgs[0].Alerts[0].EndsAt.IsZero())
	assert.Equal(t, at(5), msgs[1].Alerts[0].EndsAt)
}

// TestDownReceiverNeverBlocksEvaluation points the webhook and the
// Alertmanager notifier at a receiver that never answers, runs the manager
// on its real schedule and checks that evaluation keeps its pace while the
// bounded webhook queue drops the oldest messages.
func TestDownReceiverNeverBlocksEvaluation(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)

	db := openDB(t, t.TempDir())
	defer db.Close()
	// A flapping alert: a new firing or resolved message every evaluation
	// (every 30s of explicit timestamps; every 50ms slot in half of each
	// minute of Run).
	rule := `
groups:
  - name: flap
    interval: 50ms
    rules:
      - alert: Flap
        expr: (vector(time() * 1000) % 100 < 25) and (vector(time()) % 60 < 30)
`
	reg := prometheus.NewRegistry()
	m, err := New(Options{
		Storage: db, RuleFiles: []string{writeFile(t, "r.yml", rule)},
		Webhooks:      []string{srv.URL},
		Webhook:       WebhookOptions{QueueCapacity: 3, Timeout: time.Minute},
		Alertmanagers: []string{srv.URL},
		Registerer:    reg,
	})
	require.NoError(t, err)
	// Also a second, explicit timeline: EvalAt never waits for delivery.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			m.EvalAt(context.Background(), t0.Add(time.Duration(i)*30*time.Second))
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("evaluation blocked on a hanging receiver")
	}

	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- m.Run(ctx) }()
	g := m.RuleGroups()[0]
	start := g.GetLastEvalTimestamp()
	require.Eventually(t, func() bool {
		return g.GetLastEvalTimestamp().Sub(start) >= 10*g.Interval()
	}, 20*time.Second, 10*time.Millisecond, "evaluation stalled")
	cancel()
	require.NoError(t, <-runDone)
	m.Stop()
	assert.Positive(t, testutil.ToFloat64(m.webhooks[0].metrics.dropped.WithLabelValues(srv.URL)), "bounded queue dropped messages")
}
