package tui

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/alerting"
	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/metaapi"
	"github.com/mlectl/mlectl/predlog"
	predapi "github.com/mlectl/mlectl/predlog/api"
	"github.com/mlectl/mlectl/predlog/baseline"
	"github.com/mlectl/mlectl/predlog/skew"
	"github.com/mlectl/mlectl/predlog/store"
	"github.com/mlectl/mlectl/registry"
	"github.com/mlectl/mlectl/shadow"
	"github.com/mlectl/mlectl/tsdb"
)

// seededVersion is one registry version of the seed, registered in order.
type seededVersion struct {
	model, version string
	stage          registry.Stage
	auc            float64
	promote        bool // promoted to production once registered
}

// The registry the console tests see: fraud went v6 → v7 (so a rollback
// returns to v6) and scores v8 in shadow; churn has one version.
var seedVersions = []seededVersion{
	{"fraud", "v6", registry.StageProduction, 0.90, false},
	{"fraud", "v7", registry.StageShadow, 0.92, true},
	{"fraud", "v8", registry.StageShadow, 0.94, false},
	{"churn", "v3", registry.StageProduction, 0.81, false},
}

// seedEvents are appended after the registry actions (which record their
// own version_change events at the clock).
var seedEvents = []events.Event{
	{Time: clock.Add(-50 * time.Minute), Kind: events.KindDeploy, Model: "fraud", Version: "v7", Actor: "ci", Text: "deployed fraud v7 (retrained on November data)"},
	{Time: clock.Add(-12 * time.Minute), Kind: events.KindAlertFiring, Model: "fraud", Text: "ModelErrorRateHigh firing: error share 7%"},
	{Time: clock.Add(-5 * time.Minute), Kind: events.KindAnnotation, Model: "fraud", Actor: "alice", Text: "looking at the upstream feature store"},
	{Time: clock.Add(-3 * time.Minute), Kind: events.KindAnnotation, Model: "churn", Actor: "bob", Text: "churn is fine"},
}

// openMeta opens a metadata service on a fresh directory under dir with
// the seeded registry and events, its clock pinned to the test clock.
func openMeta(ctx context.Context, dir string, authCfg auth.Config) (*metaapi.Service, error) {
	svc, err := metaapi.Open(ctx, metaapi.Config{Dir: filepath.Join(dir, "meta"), Auth: authCfg, Now: fixedNow})
	if err != nil {
		return nil, err
	}
	if err := seedMeta(ctx, svc, dir); err != nil {
		svc.Close()
		return nil, err
	}
	return svc, nil
}

func seedMeta(ctx context.Context, svc *metaapi.Service, dir string) error {
	for _, name := range []string{"fraud", "churn"} {
		act := actuator.Config{Kind: actuator.KindFile, Path: filepath.Join(dir, name+"-routing.json")}
		if _, err := svc.Registry.PutModel(ctx, registry.Model{Name: name, Owner: "risk-team", Actuator: act}, "seed"); err != nil {
			return fmt.Errorf("seeding model %s: %w", name, err)
		}
	}
	for i, v := range seedVersions {
		sha := fmt.Sprintf("%064x", i+1)
		_, err := svc.Registry.Register(ctx, registry.Version{
			Model: v.model, Version: v.version, ArtifactURI: "s3://models/" + v.model + "/" + v.version, SHA256: sha,
			Stage: v.stage, Metrics: map[string]float64{"auc": v.auc}, Baseline: "s3://data/" + v.model + "/train.parquet",
		}, "seed")
		if err != nil {
			return fmt.Errorf("seeding version %s %s: %w", v.model, v.version, err)
		}
		if !v.promote {
			continue
		}
		if _, err := svc.Registry.Act(ctx, registry.ActionRequest{Action: registry.ActionPromote, Model: v.model, Version: v.version, Reason: "better AUC", Actor: "seed"}); err != nil {
			return fmt.Errorf("seeding the promotion of %s %s: %w", v.model, v.version, err)
		}
	}
	for _, e := range seedEvents {
		if err := svc.Events.Record(ctx, e); err != nil {
			return fmt.Errorf("seeding events: %w", err)
		}
	}
	return nil
}

// Tokens of the writable test collector.
const (
	adminToken  = "admin-secret-token"
	viewerToken = "viewer-secret-token"
)

var writableAuth = auth.Config{Mode: auth.ModeStrict, Tokens: []auth.TokenSpec{
	{Name: "alice", Token: adminToken, Role: "admin"},
	{Name: "victor", Token: viewerToken, Role: "viewer"},
}}

// alertRules fire on the seed: fraud's errors (3/s) fire at once, churn's
// drift share (0.45) waits 10 minutes in pending.
const alertRules = `groups:
- name: console
  rules:
  - alert: ModelErrorRateHigh
    expr: sum by (model) (rate(mle_predictions_total{role!="shadow",status="error"}[5m])) > 1
    labels: {severity: critical}
    annotations: {runbook: error-rate, summary: "error rate above 1/s"}
  - alert: DatasetDriftHigh
    expr: max by (model) (mle_dataset_drift_share) > 0.3
    for: 10m
    labels: {severity: warning}
    annotations: {runbook: feature-drift}
`

// writable is a collector of its own for tests that change state: a fresh
// registry and event log, and a rules engine over the shared TSDB whose
// alerts, acks and silences the test may change.
type writable struct {
	url    string
	meta   *metaapi.Service
	alerts *alerting.Manager
}

func newWritable(t *testing.T) *writable { return openWritable(t, false) }

// newWritableWithShadow is newWritable with fraud's shadow report served.
func newWritableWithShadow(t *testing.T) *writable { return openWritable(t, true) }

func openWritable(t *testing.T, withShadow bool) *writable {
	t.Helper()
	dir := t.TempDir()
	meta, err := openMeta(t.Context(), dir, writableAuth)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, meta.Close()) })
	srv, err := collector.New(collector.Config{Version: "test"}, env.db, nil)
	require.NoError(t, err)
	rules := filepath.Join(dir, "rules.yml")
	require.NoError(t, os.WriteFile(rules, []byte(alertRules), 0o600))
	am, err := alerting.New(alerting.Options{Storage: srv.RuleStore(), RuleFiles: []string{rules}, Now: fixedNow, DeploySilence: -1})
	require.NoError(t, err)
	t.Cleanup(am.Stop)
	am.AttachEvents(meta.Recorder(), meta.Events)
	am.EvalAt(t.Context(), clock)
	srv.AttachRules(am)
	alerting.Mount(srv, am.AuditedHandler(meta.Auth, meta.Audit))
	route.Mount(srv, meta.Routes())
	w := &writable{meta: meta, alerts: am}
	if withShadow {
		w.mountShadow(t, srv)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	w.url = hs.URL
	return w
}

// client returns a console client with token.
func (w *writable) client(t *testing.T, token string) stableURL {
	t.Helper()
	c, err := client.New(w.url, client.WithToken(token))
	require.NoError(t, err)
	return stableURL{c}
}

// seededFeature is one feature's drift in the seed: its score under each
// method against the 24 hours before, ramping linearly to the final value
// over the 90 seeded minutes.
type seededFeature struct {
	model, version, feature string
	scores                  map[string]float64 // method → final score
}

var seedFeatures = []seededFeature{
	{"fraud", "v7", "amount", map[string]float64{"wasserstein_normed": 0.31, "ks": 0.22, "psi": 0.41}},
	{"fraud", "v7", "merchant_category", map[string]float64{"jensen_shannon": 0.12, "psi": 0.18}},
	{"fraud", "v7", "hour", map[string]float64{"wasserstein_normed": 0.04, "ks": 0.03, "psi": 0.02}},
}

// seedModelSeries writes per-feature drift scores and live quality for
// the detail view, on the same 15 s grid as seedDB.
func seedModelSeries(db *tsdb.DB) error {
	const step = 15 * time.Second
	start := clock.Add(-90 * time.Minute)
	total := clock.Sub(start).Seconds()
	app := db.Appender(context.Background())
	var err error
	add := func(ms int64, v float64, kv ...string) {
		if err == nil {
			_, err = app.Append(0, labels.FromStrings(kv...), ms, v)
		}
	}
	for ts := start; !ts.After(clock) && err == nil; ts = ts.Add(step) {
		f := ts.Sub(start).Seconds() / total
		ms := ts.UnixMilli()
		for _, sf := range seedFeatures {
			for method, v := range sf.scores {
				add(ms, v*(0.3+0.7*f), "__name__", "mle_feature_drift_score", "model", sf.model, "version", sf.version,
					"feature", sf.feature, "method", method, "against", "previous_24h")
			}
			// As the collector does: the default method (wasserstein_normed
			// for numbers, jensen_shannon for categories) at or above 0.1.
			def, ok := sf.scores["wasserstein_normed"]
			if !ok {
				def = sf.scores["jensen_shannon"]
			}
			drifted := 0.0
			if def*(0.3+0.7*f) >= 0.1 {
				drifted = 1
			}
			add(ms, drifted, "__name__", "mle_feature_drifted", "model", sf.model, "version", sf.version, "feature", sf.feature, "against", "previous_24h")
		}
		// Live AUC of production sags as the incident grows; the shadow
		// version holds up.
		add(ms, 0.92-0.1*f, "__name__", "mle_model_roc_auc", "model", "fraud", "version", "v7", "role", "prod")
		add(ms, 0.94-0.02*f, "__name__", "mle_model_roc_auc", "model", "fraud", "version", "v8", "role", "shadow")
	}
	if err != nil {
		_ = app.Rollback()
		return fmt.Errorf("seeding model series: %w", err)
	}
	return app.Commit()
}

// shadowPairs is the logged shadow traffic of fraud: production v7 and
// shadow v8 score the same 40 requests; v8 disagrees on three of them.
func shadowPairs() (prod, cand []float64) {
	for i := range 40 {
		p := float64(i) / 40
		c := p + 0.01
		switch i {
		case 5:
			c = 0.9 // 0.125 → 0.9
		case 30:
			c = 0.2 // 0.75 → 0.2
		case 19:
			c = 0.55 // 0.475 → 0.55, across the threshold by a little
		}
		prod, cand = append(prod, p), append(cand, c)
	}
	return prod, cand
}

// mountShadow logs fraud's shadow traffic into a prediction log of its own
// and serves the shadow report over it, as the collector does.
func (w *writable) mountShadow(t *testing.T, srv *collector.Server) {
	t.Helper()
	log, err := store.Open(t.TempDir(), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, log.Close()) })
	prod, cand := shadowPairs()
	var recs []predlog.Record
	for i := range prod {
		ts := clock.Add(-40*time.Minute + time.Duration(i)*time.Minute).UnixMilli()
		id := fmt.Sprintf("req-%03d", i)
		recs = append(recs,
			predlog.Record{Model: "fraud", Version: "v7", Role: predlog.RoleProduction, RequestID: id, Status: predlog.StatusOK, TS: ts,
				Prediction: predlog.Prediction{Value: predlog.Float(prod[i])}},
			predlog.Record{Model: "fraud", Version: "v8", Role: predlog.RoleShadow, RequestID: id, Status: predlog.StatusOK, TS: ts + 3,
				Prediction: predlog.Prediction{Value: predlog.Float(cand[i])}})
	}
	require.NoError(t, log.Append(t.Context(), recs))
	h, err := shadow.NewHandler(shadow.HandlerConfig{Log: log, Registry: w.meta.Registry, Now: fixedNow})
	require.NoError(t, err)
	h.Mount(srv)
}

// seedBaseline is fraud v7's training profile: a skewed amount sample,
// merchant categories and the hour of day.
func seedBaseline() *baseline.Profile {
	amount := make([]float64, 200)
	for i := range amount {
		// Quadratic spacing: most amounts are small, a long tail is not.
		x := float64(i) / float64(len(amount)-1)
		amount[i] = 5 + 495*x*x
	}
	hour := make([]float64, 24)
	for i := range hour {
		hour[i] = float64(i)
	}
	return &baseline.Profile{Model: "fraud", Version: "v7", Rows: 5000, Created: clock.Add(-30 * 24 * time.Hour), Features: []baseline.Feature{
		{Name: "amount", Type: baseline.Numerical, Count: 5000, Min: 5, Max: 500, Sample: amount},
		{Name: "merchant_category", Type: baseline.Categorical, Count: 5000, Categories: []baseline.Category{
			{Value: "grocery", Count: 2000}, {Value: "travel", Count: 500}, {Value: "fuel", Count: 1500},
			{Value: "online", Count: 700}, {Value: "other", Count: 300}}},
		{Name: "hour", Type: baseline.Numerical, Count: 5000, Min: 0, Max: 23, Sample: hour},
	}}
}

// seedWindow is fraud v7's serving traffic in the open drift window: 300
// predictions from 11:57 on, amounts shifted up (some above the profile's
// 500), "online" far more frequent than in training.
func seedWindow() []byte {
	rng := rand.New(rand.NewPCG(6, 6))
	merchants := []string{"grocery", "online", "online", "fuel", "online", "travel", "other"}
	var b bytes.Buffer
	for i := range 300 {
		amount := strconv.FormatFloat(math.Round((40+560*rng.Float64())*100)/100, 'f', -1, 64)
		if i%40 == 9 {
			amount = "null"
		}
		ts := clock.Add(-3*time.Minute + time.Duration(i)*500*time.Millisecond)
		// Every hundredth record carries the model's contributions (the
		// record view samples the newest of them).
		expl := ""
		if i%100 == 99 {
			expl = fmt.Sprintf(`,"explanations":{"amount":%g,"merchant_category":-0.12,"hour":0.02}`, 0.3+float64(i)/10000)
		}
		fmt.Fprintf(&b, `{"model":"fraud","version":"v7","role":"production","request_id":"w-%d","ts":%q,"latency_ms":4,"features":{"amount":%s,"merchant_category":%q,"hour":%d},"prediction":0.2,"status":"ok"%s}`+"\n",
			i, ts.Format(time.RFC3339Nano), amount, merchants[rng.IntN(len(merchants))], rng.IntN(24), expl)
	}
	return b.Bytes()
}

// mountBaselines serves the prediction pipeline's baseline endpoints and
// the streaming drift windows' histograms on srv, with fraud v7's profile
// registered through PUT, as a training job does, and seedWindow's
// predictions posted. The returned function closes the pipeline's log.
func mountBaselines(ctx context.Context, dir string, srv *collector.Server) (func() error, error) {
	log, err := store.Open(filepath.Join(dir, "predlog"), store.Options{})
	if err != nil {
		return nil, err
	}
	windows := skew.New(skew.Options{})
	h, err := predapi.New(ctx, predapi.Config{Log: log, Observers: []predapi.Observer{windows}, Baselines: []predapi.BaselineSink{windows}})
	if err != nil {
		log.Close()
		return nil, err
	}
	body, err := seedBaseline().Marshal()
	if err != nil {
		log.Close()
		return nil, err
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodPut, "/api/v1/baselines/fraud/v7", bytes.NewReader(body)))
	if rec.Code != http.StatusOK {
		log.Close()
		return nil, fmt.Errorf("registering the baseline: HTTP %d: %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodPost, "/api/v1/predictions", bytes.NewReader(seedWindow())))
	if rec.Code != http.StatusOK {
		log.Close()
		return nil, fmt.Errorf("posting the drift window's predictions: HTTP %d: %s", rec.Code, rec.Body)
	}
	h.Mount(srv)
	skew.NewHandler(windows, nil).Mount(srv)
	return log.Close, nil
}
