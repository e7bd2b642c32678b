package quality

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/predlog"
)

// Defaults of Options.
const (
	DefaultHorizon    = 7 * 24 * time.Hour
	DefaultMaxPending = 1 << 20
	DefaultWindow     = 10000
)

// Options configures a Joiner. Zero values mean the defaults.
type Options struct {
	// Horizon: a label joins a prediction at most this long after it.
	Horizon time.Duration
	// MaxPending bounds the predictions waiting for a label, and separately
	// the labels waiting for their prediction.
	MaxPending int
	// Window is how many recent joined pairs per model version the metrics
	// are computed over.
	Window int
}

// Label is one ground-truth observation.
type Label struct {
	RequestID string
	Value     predlog.Value
	// TS is when the label was observed (Unix ms).
	TS int64
}

type key struct{ model, version, role string }

type pending struct {
	key
	ts   int64
	pred predlog.Prediction
}

type queued struct {
	id string
	ts int64
}

// pair is one joined prediction and label.
type pair struct {
	pred  predlog.Prediction
	label predlog.Value
	lag   float64 // seconds
}

type modelState struct {
	ring               []pair
	next               int
	full               bool
	predicted, labeled float64
}

// Joiner joins labels to predictions and keeps the pairs the quality series
// are computed from. It is safe for concurrent use.
type Joiner struct {
	opts Options

	mu       sync.Mutex
	preds    map[string][]pending
	predQ    []queued // insertion order, for eviction
	labels   map[string]Label
	labelQ   []queued
	models   map[key]*modelState
	unjoined float64
}

// NewJoiner returns an empty joiner.
func NewJoiner(opts Options) *Joiner {
	if opts.Horizon <= 0 {
		opts.Horizon = DefaultHorizon
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultMaxPending
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	return &Joiner{opts: opts, preds: map[string][]pending{}, labels: map[string]Label{}, models: map[key]*modelState{}}
}

func (j *Joiner) model(k key) *modelState {
	m := j.models[k]
	if m == nil {
		m = &modelState{ring: make([]pair, 0, min(j.opts.Window, 1024))}
		j.models[k] = m
	}
	return m
}

// ObserveRecords registers predictions that may later get a label. Records
// without a request id, failed ones and records without a prediction are
// not joinable and are skipped.
func (j *Joiner) ObserveRecords(recs []predlog.Record) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := range recs {
		r := &recs[i]
		if r.RequestID == "" || r.Status != predlog.StatusOK || r.Injected ||
			(r.Prediction.Kind == predlog.KindAbsent && r.Prediction.Scores == nil) {
			continue
		}
		p := pending{key: key{r.Model, r.Version, r.Role}, ts: r.TS, pred: r.Prediction}
		j.model(p.key).predicted++
		if l, ok := j.labels[r.RequestID]; ok && l.TS-r.TS <= j.opts.Horizon.Milliseconds() {
			j.join(p, l)
			// The same label may still join the shadow's prediction.
			continue
		}
		if len(j.preds[r.RequestID]) == 0 {
			j.predQ = append(j.predQ, queued{r.RequestID, r.TS})
		}
		j.preds[r.RequestID] = append(j.preds[r.RequestID], p)
	}
	j.evict()
}

// AddLabel joins l to its predictions; it reports whether any matched. A
// label without a prediction yet waits for it (bounded by MaxPending).
func (j *Joiner) AddLabel(l Label) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	ps := j.preds[l.RequestID]
	matched := false
	for _, p := range ps {
		if l.TS-p.ts <= j.opts.Horizon.Milliseconds() {
			j.join(p, l)
			matched = true
		}
	}
	if matched {
		delete(j.preds, l.RequestID)
		return true
	}
	if _, ok := j.labels[l.RequestID]; !ok {
		j.labelQ = append(j.labelQ, queued{l.RequestID, l.TS})
	}
	j.labels[l.RequestID] = l
	j.unjoined++
	j.evict()
	return false
}

func (j *Joiner) join(p pending, l Label) {
	m := j.model(p.key)
	m.labeled++
	pr := pair{pred: p.pred, label: l.Value, lag: math.Max(0, float64(l.TS-p.ts)/1000)}
	if len(m.ring) < j.opts.Window {
		m.ring = append(m.ring, pr)
		return
	}
	m.ring[m.next] = pr
	m.next = (m.next + 1) % j.opts.Window
}

// evict forgets the oldest waiting predictions and labels beyond MaxPending.
func (j *Joiner) evict() {
	for len(j.preds) > j.opts.MaxPending && len(j.predQ) > 0 {
		delete(j.preds, j.predQ[0].id)
		j.predQ = j.predQ[1:]
	}
	for len(j.labels) > j.opts.MaxPending && len(j.labelQ) > 0 {
		delete(j.labels, j.labelQ[0].id)
		j.labelQ = j.labelQ[1:]
	}
	// Compact the queues once their dead prefix dominates.
	if cap(j.predQ) > 2*len(j.predQ)+1024 {
		j.predQ = append([]queued(nil), j.predQ...)
	}
	if cap(j.labelQ) > 2*len(j.labelQ)+1024 {
		j.labelQ = append([]queued(nil), j.labelQ...)
	}
}

// Expire forgets predictions older than the horizon at now (their labels
// can no longer join) and labels that waited as long.
func (j *Joiner) Expire(now time.Time) {
	cut := now.Add(-j.opts.Horizon).UnixMilli()
	j.mu.Lock()
	defer j.mu.Unlock()
	for len(j.predQ) > 0 && j.predQ[0].ts < cut {
		delete(j.preds, j.predQ[0].id)
		j.predQ = j.predQ[1:]
	}
	for len(j.labelQ) > 0 && j.labelQ[0].ts < cut {
		delete(j.labels, j.labelQ[0].id)
		j.labelQ = j.labelQ[1:]
	}
}

// Quality is the metric set of one model version's window; NaN when not
// defined (no pairs, a single class for AUC, the other task's metrics).
type Quality struct {
	Classification                                   bool
	Pairs                                            int
	Accuracy, Precision, Recall, F1, ROCAUC, LogLoss float64
	MAE, RMSE, MAPE                                  float64
	MeanLagSeconds, Coverage                         float64
}

// Snapshot computes the metrics of every model version with predictions.
func (j *Joiner) Snapshot() map[[3]string]Quality {
	j.mu.Lock()
	type snap struct {
		k                  key
		pairs              []pair
		predicted, labeled float64
	}
	snaps := make([]snap, 0, len(j.models))
	for k, m := range j.models {
		snaps = append(snaps, snap{k, append([]pair(nil), m.ring...), m.predicted, m.labeled})
	}
	j.mu.Unlock()
	out := make(map[[3]string]Quality, len(snaps))
	for _, s := range snaps {
		q := compute(s.pairs)
		q.Coverage = math.NaN()
		if s.predicted > 0 {
			q.Coverage = s.labeled / s.predicted
		}
		out[[3]string{s.k.model, s.k.version, s.k.role}] = q
	}
	return out
}

func nan9() Quality {
	n := math.NaN()
	return Quality{Accuracy: n, Precision: n, Recall: n, F1: n, ROCAUC: n, LogLoss: n, MAE: n, RMSE: n, MAPE: n, MeanLagSeconds: n}
}

// isBinaryScore reports whether the pairs look like a binary classifier
// that outputs the probability of class 1.
func isBinaryScore(ps []pair) bool {
	for _, p := range ps {
		if p.label.Kind != predlog.KindNumber || (p.label.Num != 0 && p.label.Num != 1) {
			return false
		}
		if p.pred.Scores != nil || p.pred.Kind != predlog.KindNumber || p.pred.Num < 0 || p.pred.Num > 1 {
			return false
		}
	}
	return true
}

func isRegression(ps []pair) bool {
	for _, p := range ps {
		if p.label.Kind != predlog.KindNumber || p.pred.Scores != nil || p.pred.Kind != predlog.KindNumber {
			return false
		}
	}
	return true
}

// classText is the class name of a label or a label prediction.
func classText(v predlog.Value) string {
	switch v.Kind {
	case predlog.KindString:
		return v.Str
	case predlog.KindBool:
		return strconv.FormatBool(v.IsTrue())
	case predlog.KindNumber:
		return string(predlog.AppendNumber(nil, v))
	}
	return ""
}

func compute(ps []pair) Quality {
	q := nan9()
	q.Pairs = len(ps)
	if len(ps) == 0 {
		return q
	}
	var lag float64
	for _, p := range ps {
		lag += p.lag
	}
	q.MeanLagSeconds = lag / float64(len(ps))
	switch {
	case isBinaryScore(ps):
		q.Classification = true
		yt, yp := make([]int, len(ps)), make([]int, len(ps))
		pos, score := make([]bool, len(ps)), make([]float64, len(ps))
		for i, p := range ps {
			yt[i] = int(p.label.Num)
			if p.pred.Num >= 0.5 {
				yp[i] = 1
			}
			pos[i], score[i] = yt[i] == 1, p.pred.Num
		}
		q.Accuracy = Accuracy(yt, yp)
		q.Precision, q.Recall, q.F1 = BinaryPRF(yt, yp, 1)
		q.ROCAUC = ROCAUC(pos, score)
		q.LogLoss = BinaryLogLoss(pos, score)
	case isRegression(ps):
		y, yh := make([]float64, len(ps)), make([]float64, len(ps))
		for i, p := range ps {
			y[i], yh[i] = p.label.Num, p.pred.Num
		}
		q.MAE, q.RMSE, q.MAPE = MAE(y, yh), RMSE(y, yh), MAPE(y, yh)
	default:
		q.Classification = true
		classify(ps, &q)
	}
	return q
}

// classify computes multi-class metrics: predictions are labels or class
// score objects (argmax).
func classify(ps []pair, q *Quality) {
	index := map[string]int{}
	var names []string
	id := func(s string) int {
		c, ok := index[s]
		if !ok {
			c = len(names)
			index[s] = c
			names = append(names, s)
		}
		return c
	}
	yt, yp := make([]int, len(ps)), make([]int, len(ps))
	allScores := true
	for i, p := range ps {
		yt[i] = id(classText(p.label))
		if p.pred.Scores == nil {
			allScores = false
			yp[i] = id(classText(p.pred.Value))
			continue
		}
		best, bestV := "", math.Inf(-1)
		for _, s := range p.pred.Scores {
			id(s.Class)
			if s.Num > bestV {
				best, bestV = s.Class, s.Num
			}
		}
		yp[i] = id(best)
	}
	q.Accuracy = Accuracy(yt, yp)
	q.Precision, q.Recall, q.F1 = MacroPRF(yt, yp)
	if !allScores {
		return
	}
	probs := make([][]float64, len(ps))
	for i, p := range ps {
		row := make([]float64, len(names))
		for _, s := range p.pred.Scores {
			row[index[s.Class]] = s.Num
		}
		probs[i] = row
	}
	q.LogLoss = LogLoss(yt, probs)
	if len(names) == 2 {
		// Binary with named classes: sklearn scores the second class of the
		// sorted class names as the positive one.
		sorted := append([]string(nil), names...)
		sort.Strings(sorted)
		posClass := index[sorted[1]]
		pos, score := make([]bool, len(ps)), make([]float64, len(ps))
		for i := range ps {
			pos[i], score[i] = yt[i] == posClass, probs[i][posClass]
		}
		q.ROCAUC = ROCAUC(pos, score)
		return
	}
	q.ROCAUC = MacroOvRAUC(yt, probs, len(names))
}

// Series names written by AppendTo.
const (
	MetricAccuracy  = api.MetricModelAccuracy
	MetricPrecision = api.MetricModelPrecision
	MetricRecall    = api.MetricModelRecall
	MetricF1        = api.MetricModelF1
	MetricROCAUC    = api.MetricModelROCAUC
	MetricLogLoss   = api.MetricModelLogLoss
	MetricMAE       = api.MetricModelMAE
	MetricRMSE      = api.MetricModelRMSE
	MetricMAPE      = api.MetricModelMAPE
	MetricLabelLag  = api.MetricLabelLagSeconds
	MetricCoverage  = api.MetricLabelCoverageRatio
	MetricPairs     = api.MetricQualityWindowPairs
)

// AppendTo writes the current metrics at ts. Undefined metrics are not
// written (a NaN would read as a value).
func (j *Joiner) AppendTo(ctx context.Context, db storage.Appendable, ts time.Time) error {
	j.Expire(ts)
	snap := j.Snapshot()
	keys := make([][3]string, 0, len(snap))
	for k := range snap {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		for i := range 3 {
			if keys[a][i] != keys[b][i] {
				return keys[a][i] < keys[b][i]
			}
		}
		return false
	})
	app := db.Appender(ctx)
	t := ts.UnixMilli()
	for _, k := range keys {
		q := snap[k]
		pairs := math.NaN() // no pairs: no window to name
		if q.Pairs > 0 {
			pairs = float64(q.Pairs)
		}
		for _, s := range []struct {
			name string
			v    float64
		}{
			{MetricAccuracy, q.Accuracy}, {MetricPrecision, q.Precision}, {MetricRecall, q.Recall},
			{MetricF1, q.F1}, {MetricROCAUC, q.ROCAUC}, {MetricLogLoss, q.LogLoss},
			{MetricMAE, q.MAE}, {MetricRMSE, q.RMSE}, {MetricMAPE, q.MAPE},
			{MetricLabelLag, q.MeanLagSeconds}, {MetricCoverage, q.Coverage}, {MetricPairs, pairs},
		} {
			if math.IsNaN(s.v) || math.IsInf(s.v, 0) {
				continue
			}
			lset := labels.FromStrings("__name__", s.name, "model", k[0], "role", k[2], "version", k[1])
			if _, err := app.Append(0, lset, t, s.v); err != nil {
				_ = app.Rollback()
				return fmt.Errorf("append %s: %w", lset, err)
			}
		}
	}
	if err := app.Commit(); err != nil {
		return fmt.Errorf("commit quality series: %w", err)
	}
	return nil
}
