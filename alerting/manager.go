package alerting

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/notifier"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/strutil"

	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/slo"
)

// Rule-file identifiers of generated groups: they appear as the "file" of
// the groups in /api/v1/rules.
const (
	sloPrefix = "slo:"
	driftFile = "mlectl:drift-rules"
)

// EventQuerier reads the event log; the manager polls it for deploys to
// open deploy suppression windows. *events.Store implements it.
type EventQuerier interface {
	Query(ctx context.Context, f events.Filter) ([]events.Event, error)
}

// Store is what rule evaluation needs from the storage: queries (also of
// ALERTS_FOR_STATE for the restore) and appends. tsdb.DB implements it.
type Store interface {
	storage.Queryable
	storage.AppendableV2
}

// Options configure New. Storage is required; everything else is optional.
type Options struct {
	// Storage is where rules read series and write recording-rule results,
	// ALERTS and ALERTS_FOR_STATE (the collector's tsdb).
	Storage Store
	// RuleFiles are Prometheus rule files evaluated as is.
	RuleFiles []string
	// SLOSpecs are SLO spec files (Sloth prometheus/v1 or mlectl/v1); their
	// rules are generated with slo.Generate and SLOOptions.
	SLOSpecs   []string
	SLOOptions slo.Options
	// Drift generates the drift rules; nil generates none.
	Drift *DriftConfig
	// CollectorRules adds the collector's own alerts (CollectorDiskLow,
	// CollectorDiskFull) under "mlectl:collector-rules".
	CollectorRules bool
	// EvalInterval is the default group interval. Default 30s.
	EvalInterval time.Duration
	// ExternalURL prefixes the alerts' generatorURL (e.g. the collector's
	// public URL).
	ExternalURL string
	// Alertmanagers are Alertmanager base URLs (http://host:9093, path
	// prefix allowed); alerts are POSTed to <url>/api/v2/alerts by
	// Prometheus's notifier.
	Alertmanagers []string
	// AlertmanagerTimeout is the notifier's per-request timeout. Default 10s.
	AlertmanagerTimeout time.Duration
	// Webhooks receive the Alertmanager webhook payload.
	Webhooks []string
	Webhook  WebhookOptions
	// RepeatInterval re-sends a still-firing, unacknowledged alert to the
	// webhooks. Default 4h (Alertmanager's repeat_interval).
	RepeatInterval time.Duration
	// OutageTolerance, ForGracePeriod and ResendDelay have Prometheus's
	// meaning and defaults (1h, 10m, 1m).
	OutageTolerance time.Duration
	ForGracePeriod  time.Duration
	ResendDelay     time.Duration
	// StateDir keeps silences and acks across restarts ("" keeps them in
	// memory).
	StateDir string
	// DeploySilence is the suppression window opened for a model when it is
	// deployed (deploy and version_change events). Default 15m; negative
	// disables.
	DeploySilence time.Duration
	// DeployEvents is polled every EvalInterval for deploys; nil leaves
	// deploy windows to NoteDeploy.
	DeployEvents EventQuerier
	// Recorder receives alert_firing/alert_resolved (plus slo_breach or
	// drift_detected), ack and silence events. nil records nothing.
	Recorder events.Recorder
	// Engine runs the rule queries; nil builds one with QueryTimeout,
	// MaxSamples and LookbackDelta (Prometheus's defaults when zero).
	Engine promql.QueryEngine
	// QueryFunc, when set, evaluates the rule queries instead of Engine
	// (storage.metrics: remote: the metrics backend's query API).
	QueryFunc     rules.QueryFunc
	QueryTimeout  time.Duration
	MaxSamples    int
	LookbackDelta time.Duration
	Logger        *slog.Logger
	// Registerer receives Prometheus's rule (prometheus_rule_*), notifier
	// (prometheus_notifications_*) and the webhook metrics; one Manager
	// per registry, as they are registered once.
	Registerer prometheus.Registerer
	// Now is the clock for silences, acks and events. Default time.Now.
	Now func() time.Time
}

// Manager evaluates rule groups with Prometheus's rules package and routes
// the resulting notifications. It implements web/api/v1's RulesRetriever
// and AlertmanagerRetriever and metaapi's Silencer.
type Manager struct {
	opts     Options
	logger   *slog.Logger
	rules    *rules.Manager
	groups   []*rules.Group
	notifier *notifier.Manager
	amURLs   []*url.URL
	webhooks []*webhook
	sil      *silences
	parser   parser.Parser

	mu      sync.Mutex
	tracked map[string]*trackedAlert

	evalMu     sync.Mutex
	evalRounds int
	restored   bool

	runMu   sync.Mutex
	cancel  context.CancelFunc
	stopped chan struct{}

	delivery       sync.WaitGroup
	deliveryCancel context.CancelFunc

	// The event log may be attached after New (AttachEvents).
	recorder atomic.Pointer[events.Recorder]
	deploys  atomic.Pointer[EventQuerier]
}

type trackedAlert struct {
	firing     bool
	notified   bool // a firing message went to the webhooks
	lastRepeat time.Time
}

// New loads and validates every rule source and starts notification
// delivery; Run starts evaluation. Call Stop when done.
func New(o Options) (*Manager, error) {
	if o.Storage == nil {
		return nil, errors.New("alerting: Options.Storage is required")
	}
	if o.EvalInterval <= 0 {
		o.EvalInterval = 30 * time.Second
	}
	if o.RepeatInterval <= 0 {
		o.RepeatInterval = 4 * time.Hour
	}
	if o.OutageTolerance <= 0 {
		o.OutageTolerance = time.Hour
	}
	if o.ForGracePeriod <= 0 {
		o.ForGracePeriod = 10 * time.Minute
	}
	if o.ResendDelay <= 0 {
		o.ResendDelay = time.Minute
	}
	if o.DeploySilence == 0 {
		o.DeploySilence = 15 * time.Minute
	}
	if o.AlertmanagerTimeout <= 0 {
		o.AlertmanagerTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := parser.NewParser(parser.Options{})
	if o.Engine == nil {
		if o.QueryTimeout <= 0 {
			o.QueryTimeout = 2 * time.Minute
		}
		if o.MaxSamples <= 0 {
			o.MaxSamples = 50_000_000
		}
		o.Engine = promql.NewEngine(promql.EngineOpts{
			Logger:                   o.Logger.With("component", "rule query engine"),
			MaxSamples:               o.MaxSamples,
			Timeout:                  o.QueryTimeout,
			LookbackDelta:            o.LookbackDelta,
			NoStepSubqueryIntervalFn: func(int64) int64 { return time.Minute.Milliseconds() },
			EnableAtModifier:         true,
			EnableNegativeOffset:     true,
			Parser:                   p,
		})
	}
	sil, err := openSilences(o.StateDir, p)
	if err != nil {
		return nil, err
	}
	m := &Manager{opts: o, logger: o.Logger, sil: sil, parser: p, tracked: map[string]*trackedAlert{}}
	m.AttachEvents(o.Recorder, o.DeployEvents)

	if err := m.setupNotifier(); err != nil {
		return nil, err
	}
	wm := newWebhookMetrics(o.Registerer)
	for i, u := range o.Webhooks {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return nil, fmt.Errorf("alerting: webhooks[%d] %q is not an http(s) URL", i, u)
		}
		m.webhooks = append(m.webhooks, newWebhook(u, o.Webhook, o.Logger, wm))
	}

	queryFunc := o.QueryFunc
	if queryFunc == nil {
		queryFunc = rules.EngineQueryFunc(o.Engine, o.Storage)
	}
	m.rules = rules.NewManager(&rules.ManagerOptions{
		ExternalURL:     &url.URL{},
		QueryFunc:       queryFunc,
		NotifyFunc:      m.notify,
		Context:         context.Background(),
		AppendableV2:    o.Storage,
		Queryable:       o.Storage,
		Logger:          o.Logger.With("component", "rules"),
		Registerer:      o.Registerer,
		OutageTolerance: o.OutageTolerance,
		ForGracePeriod:  o.ForGracePeriod,
		ResendDelay:     o.ResendDelay,
		GroupLoader:     &loader{drift: o.Drift, sloOpts: o.SLOOptions, parser: p, logger: o.Logger},
		Parser:          p,
	})
	files := slices.Clone(o.RuleFiles)
	for _, s := range o.SLOSpecs {
		files = append(files, sloPrefix+s)
	}
	if o.Drift != nil {
		files = append(files, driftFile)
	}
	if o.CollectorRules {
		files = append(files, collectorFile)
	}
	groups, errs := m.rules.LoadGroups(o.EvalInterval, labels.EmptyLabels(), o.ExternalURL, nil, false, files...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("alerting: loading rules: %w", errors.Join(errs...))
	}
	for _, g := range groups {
		m.groups = append(m.groups, g)
	}
	slices.SortFunc(m.groups, func(a, b *rules.Group) int {
		if c := strings.Compare(a.File(), b.File()); c != 0 {
			return c
		}
		return strings.Compare(a.Name(), b.Name())
	})
	m.startDelivery()
	return m, nil
}

// setupNotifier builds Prometheus's notifier with one static Alertmanager
// set per URL.
func (m *Manager) setupNotifier() error {
	if len(m.opts.Alertmanagers) == 0 {
		return nil
	}
	cfg := &config.Config{}
	for i, raw := range m.opts.Alertmanagers {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("alerting: alertmanagers[%d] %q is not an http(s) URL", i, raw)
		}
		ac := config.DefaultAlertmanagerConfig
		ac.Scheme = u.Scheme
		ac.PathPrefix = u.Path
		ac.Timeout = model.Duration(m.opts.AlertmanagerTimeout)
		cfg.AlertingConfig.AlertmanagerConfigs = append(cfg.AlertingConfig.AlertmanagerConfigs, &ac)
		m.amURLs = append(m.amURLs, u)
	}
	m.notifier = notifier.NewManager(&notifier.Options{
		QueueCapacity: 10000,
		Registerer:    m.opts.Registerer,
	}, model.UTF8Validation, m.logger.With("component", "notifier"))
	if err := m.notifier.ApplyConfig(cfg); err != nil {
		return fmt.Errorf("alerting: alertmanager configuration: %w", err)
	}
	return nil
}

func (m *Manager) amTargets() map[string][]*targetgroup.Group {
	t := map[string][]*targetgroup.Group{}
	for i, u := range m.amURLs {
		t[fmt.Sprintf("config-%d", i)] = []*targetgroup.Group{{
			Targets: []model.LabelSet{{model.AddressLabel: model.LabelValue(u.Host)}},
			Source:  u.String(),
		}}
	}
	return t
}

// AttachEvents connects the event log: rec receives the alerting events
// and deploys is polled for deploy windows (either may be nil). It exists
// because the collector opens its metadata service, which owns the event
// log, after the manager: the service needs the manager as its Silencer.
// Options.Recorder and Options.DeployEvents are the same when known at New.
func (m *Manager) AttachEvents(rec events.Recorder, deploys EventQuerier) {
	if rec != nil {
		m.recorder.Store(&rec)
	}
	if deploys != nil {
		m.deploys.Store(&deploys)
	}
}

// startDelivery starts the notifier and webhook workers; Stop ends them.
func (m *Manager) startDelivery() {
	ctx, cancel := context.WithCancel(context.Background())
	m.deliveryCancel = cancel
	if m.notifier != nil {
		tsets := make(chan map[string][]*targetgroup.Group, 1)
		tsets <- m.amTargets()
		m.delivery.Go(func() { m.notifier.Run(tsets) })
	}
	for _, w := range m.webhooks {
		m.delivery.Go(func() { w.run(ctx) })
	}
}

// Run evaluates the groups and blocks until ctx is done or Stop is called.
// Each group is evaluated on Prometheus's schedule (aligned slots of its
// interval); ALERTS_FOR_STATE is restored after the second evaluation, as
// Prometheus does.
func (m *Manager) Run(ctx context.Context) error {
	m.runMu.Lock()
	if m.cancel != nil {
		m.runMu.Unlock()
		return errors.New("alerting: manager already running")
	}
	ctx, cancel := context.WithCancel(ctx)
	m.cancel = cancel
	m.stopped = make(chan struct{})
	m.runMu.Unlock()
	defer close(m.stopped)
	defer cancel()

	var wg sync.WaitGroup
	for _, g := range m.groups {
		wg.Go(func() { m.runGroup(ctx, g) })
	}
	wg.Go(func() { m.housekeeping(ctx) })
	<-ctx.Done()
	wg.Wait()
	return nil
}

// Stop ends Run (waiting for it to return) and then notification
// delivery. Call it once, also when Run was never called.
func (m *Manager) Stop() {
	m.runMu.Lock()
	cancel, stopped := m.cancel, m.stopped
	m.runMu.Unlock()
	if cancel != nil {
		cancel()
		<-stopped
	}
	if m.notifier != nil {
		m.notifier.Stop()
	}
	m.deliveryCancel()
	m.delivery.Wait()
}

func (m *Manager) runGroup(ctx context.Context, g *rules.Group) {
	interval := g.Interval()
	ts := g.EvalTimestamp(time.Now().UnixNano()).Add(interval)
	timer := time.NewTimer(time.Until(ts))
	defer timer.Stop()
	for round := 0; ; round++ {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		ctx := promql.NewOriginContext(ctx, map[string]any{"ruleGroup": map[string]string{"file": g.File(), "name": g.Name()}})
		rules.DefaultEvalIterationFunc(ctx, g, ts)
		if round == 1 {
			// Like Prometheus: restore after the second evaluation, when
			// recording rules the alerts depend on have values.
			g.RestoreForState(time.Now())
		}
		// Skip slots that passed while evaluating, as Prometheus does.
		ts = ts.Add(interval)
		for time.Until(ts) < 0 {
			ts = ts.Add(interval)
		}
		timer.Reset(time.Until(ts))
	}
}

// EvalAt evaluates every group once at ts, in order, and restores
// ALERTS_FOR_STATE after the second call, exactly as Run does on its
// schedule. It lets tests and tools drive evaluation with explicit
// timestamps; do not mix it with Run.
func (m *Manager) EvalAt(ctx context.Context, ts time.Time) {
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	for _, g := range m.groups {
		rules.DefaultEvalIterationFunc(ctx, g, ts)
	}
	m.evalRounds++
	if m.evalRounds == 2 && !m.restored {
		m.restored = true
		for _, g := range m.groups {
			g.RestoreForState(ts)
		}
	}
}

// housekeeping drops old silences and opens deploy windows.
func (m *Manager) housekeeping(ctx context.Context) {
	t := time.NewTicker(m.opts.EvalInterval)
	defer t.Stop()
	since := m.opts.Now().Add(-max(m.opts.DeploySilence, 0))
	for {
		if m.deploys.Load() != nil && m.opts.DeploySilence > 0 {
			since = m.PollDeploys(ctx, since)
		}
		m.sil.gc(m.opts.Now(), 24*time.Hour)
		m.gcAcks()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// gcAcks forgets acks of alerts that are no longer pending or firing (an
// alert that resolved while the collector was down, or one acked while
// pending that never fired). It waits until every group has evaluated, so
// that a restart does not drop the acks of alerts still firing.
func (m *Manager) gcAcks() {
	for _, g := range m.groups {
		if g.GetLastEvalTimestamp().IsZero() {
			return
		}
	}
	active := map[string]bool{}
	for _, a := range m.Alerts() {
		active[a.ID] = true
	}
	m.sil.retainAcks(active)
}

// RuleGroups implements web/api/v1's RulesRetriever.
func (m *Manager) RuleGroups() []*rules.Group { return slices.Clone(m.groups) }

// AlertingRules implements web/api/v1's RulesRetriever.
func (m *Manager) AlertingRules() []*rules.AlertingRule {
	out := []*rules.AlertingRule{}
	for _, g := range m.groups {
		out = append(out, g.AlertingRules()...)
	}
	return out
}

// Alertmanagers implements web/api/v1's AlertmanagerRetriever.
func (m *Manager) Alertmanagers() []*url.URL {
	if m.notifier == nil {
		return []*url.URL{}
	}
	if u := m.notifier.Alertmanagers(); u != nil {
		return u
	}
	return []*url.URL{}
}

// DroppedAlertmanagers implements web/api/v1's AlertmanagerRetriever.
func (m *Manager) DroppedAlertmanagers() []*url.URL {
	if m.notifier == nil {
		return []*url.URL{}
	}
	if u := m.notifier.DroppedAlertmanagers(); u != nil {
		return u
	}
	return []*url.URL{}
}

// Fingerprint is an alert's id: Alertmanager's fingerprint of its labels
// (16 hex digits), the same as the webhook payload's fingerprint.
func Fingerprint(lset labels.Labels) string {
	ls := make(model.LabelSet, lset.Len())
	lset.Range(func(l labels.Label) { ls[model.LabelName(l.Name)] = model.LabelValue(l.Value) })
	return ls.Fingerprint().String()
}

// notify is the rules manager's NotifyFunc: it records transitions as
// events, applies silences, and hands alerts to the Alertmanager notifier
// and the webhook queues. It never blocks on a receiver.
func (m *Manager) notify(ctx context.Context, expr string, alerts ...*rules.Alert) {
	if len(alerts) == 0 {
		return
	}
	now := m.opts.Now()
	generator := m.opts.ExternalURL + strutil.TableLinkForExpression(expr)
	var toAM []*notifier.Alert
	var toHooks []WebhookAlert
	type transition struct {
		a      *rules.Alert
		firing bool
	}
	var transitions []transition
	for _, a := range alerts {
		id := Fingerprint(a.Labels)
		firing := a.ResolvedAt.IsZero()
		silenced := len(m.sil.silencedBy(a.Labels, now)) > 0
		m.mu.Lock()
		t := m.tracked[id]
		switch {
		case firing && (t == nil || !t.firing):
			t = &trackedAlert{firing: true}
			m.tracked[id] = t
			transitions = append(transitions, transition{a, true})
		case !firing && t != nil && t.firing:
			delete(m.tracked, id)
			transitions = append(transitions, transition{a, false})
			m.sil.clearAck(id)
		}
		if t != nil && !silenced {
			switch {
			case firing && !t.notified:
				t.notified, t.lastRepeat = true, now
				toHooks = append(toHooks, webhookAlert(a, id, generator))
			case firing && now.Sub(t.lastRepeat) >= m.opts.RepeatInterval:
				if _, acked := m.sil.ackFor(id); !acked {
					t.lastRepeat = now
					toHooks = append(toHooks, webhookAlert(a, id, generator))
				}
			case !firing && t.notified:
				toHooks = append(toHooks, webhookAlert(a, id, generator))
			}
		}
		m.mu.Unlock()
		if silenced {
			continue
		}
		na := &notifier.Alert{
			StartsAt:     a.FiredAt,
			Labels:       a.Labels,
			Annotations:  a.Annotations,
			GeneratorURL: generator,
		}
		if !a.ResolvedAt.IsZero() {
			na.EndsAt = a.ResolvedAt
		} else {
			na.EndsAt = a.ValidUntil
		}
		toAM = append(toAM, na)
	}
	if m.notifier != nil && len(toAM) > 0 {
		m.notifier.Send(toAM...)
	}
	// Recorded outside m.mu: the event log syncs to disk.
	for _, tr := range transitions {
		m.recordTransition(ctx, tr.a, tr.firing)
	}
	for _, wa := range toHooks {
		for _, w := range m.webhooks {
			w.enqueue(m.webhookMessage(wa))
		}
	}
}

func webhookAlert(a *rules.Alert, id, generator string) WebhookAlert {
	wa := WebhookAlert{
		Status:       "firing",
		Labels:       a.Labels.Map(),
		Annotations:  a.Annotations.Map(),
		StartsAt:     a.FiredAt.UTC(),
		GeneratorURL: generator,
		Fingerprint:  id,
	}
	if !a.ResolvedAt.IsZero() {
		wa.Status = "resolved"
		wa.EndsAt = a.ResolvedAt.UTC()
	}
	return wa
}

// webhookMessage wraps one alert as its own group, keyed by its labels, so
// that a receiver sees each alert's firing and resolved messages under one
// groupKey.
func (m *Manager) webhookMessage(wa WebhookAlert) *WebhookMessage {
	group := map[string]string{"alertname": wa.Labels[labels.AlertName]}
	return &WebhookMessage{
		Version:           "4",
		GroupKey:          "{}:" + model.LabelSet(toLabelSet(wa.Labels)).String(),
		Status:            wa.Status,
		Receiver:          "mlectl-webhook",
		GroupLabels:       group,
		CommonLabels:      wa.Labels,
		CommonAnnotations: wa.Annotations,
		ExternalURL:       m.opts.ExternalURL,
		Alerts:            []WebhookAlert{wa},
	}
}

func toLabelSet(m map[string]string) model.LabelSet {
	ls := make(model.LabelSet, len(m))
	for k, v := range m {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	return ls
}

// Drift alert names, for the drift_detected event.
var driftAlerts = []string{AlertFeatureDrift, AlertDatasetDrift, AlertTrainingServingSkew}

// ActorRules is the actor of events written by rule evaluation.
const ActorRules = "rules"

func (m *Manager) recordTransition(ctx context.Context, a *rules.Alert, firing bool) {
	if m.recorder.Load() == nil {
		return
	}
	name := a.Labels.Get(labels.AlertName)
	lbls := a.Labels.Map()
	if len(lbls) > 64 {
		lbls = map[string]string{labels.AlertName: name}
	}
	e := events.Event{
		Kind:    events.KindAlertFiring,
		Time:    a.FiredAt.UTC(),
		Model:   modelOf(a.Labels),
		Version: a.Labels.Get("version"),
		Actor:   ActorRules,
		Labels:  lbls,
	}
	summary := a.Annotations.Get("summary")
	if firing {
		e.Text = name + " firing"
		if summary != "" {
			e.Text += ": " + summary
		}
	} else {
		e.Kind = events.KindAlertResolved
		e.Time = a.ResolvedAt.UTC()
		e.Text = fmt.Sprintf("%s resolved", name)
	}
	m.record(ctx, e)
	if !firing {
		return
	}
	switch {
	case a.Labels.Has(slo.LabelSLO):
		e.Kind = events.KindSLOBreach
		e.Text = fmt.Sprintf("SLO %s of %s burning its error budget (%s)", a.Labels.Get(slo.LabelSLO), a.Labels.Get(slo.LabelService), a.Labels.Get(slo.LabelSeverity))
		m.record(ctx, e)
	case slices.Contains(driftAlerts, name):
		e.Kind = events.KindDriftDetected
		m.record(ctx, e)
	}
}

// modelOf names the model an alert concerns: its model label, else the
// SLO service (mlectl/v1 SLOs are named after the model).
func modelOf(lset labels.Labels) string {
	if v := lset.Get("model"); v != "" {
		return v
	}
	return lset.Get(slo.LabelService)
}

func (m *Manager) record(ctx context.Context, e events.Event) {
	rec := m.recorder.Load()
	if rec == nil {
		return
	}
	if err := (*rec).Record(ctx, e); err != nil {
		m.logger.Error("recording alerting event", "kind", e.Kind, "err", err)
	}
}

// loader is the rules GroupLoader: plain rule files, plus generated SLO
// and drift groups under pseudo file names.
type loader struct {
	drift   *DriftConfig
	sloOpts slo.Options
	parser  parser.Parser
	logger  *slog.Logger
}

func (l *loader) Load(id string, ignoreUnknown bool, scheme model.ValidationScheme) (*rulefmt.RuleGroups, []error) {
	var content []byte
	switch {
	case id == collectorFile:
		content = []byte(collectorRules)
	case id == driftFile:
		b, err := l.drift.YAML()
		if err != nil {
			return nil, []error{err}
		}
		content = b
	case strings.HasPrefix(id, sloPrefix):
		path := strings.TrimPrefix(id, sloPrefix)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, []error{fmt.Errorf("SLO spec: %w", err)}
		}
		specs, err := slo.Parse(b)
		if err != nil {
			return nil, []error{fmt.Errorf("SLO spec %s: %w", path, err)}
		}
		rf, err := slo.Generate(specs, l.sloOpts)
		if err != nil {
			return nil, []error{fmt.Errorf("SLO spec %s: %w", path, err)}
		}
		var buf bytes.Buffer
		if _, err := rf.WriteTo(&buf); err != nil {
			return nil, []error{err}
		}
		content = buf.Bytes()
	default:
		return rulefmt.ParseFile(id, ignoreUnknown, scheme, l.parser, l.logger)
	}
	rgs, errs := rulefmt.Parse(content, ignoreUnknown, scheme, l.parser, l.logger)
	for i := range errs {
		errs[i] = fmt.Errorf("%s: %w", id, errs[i])
	}
	return rgs, errs
}

func (l *loader) Parse(query string) (parser.Expr, error) { return l.parser.ParseExpr(query) }
