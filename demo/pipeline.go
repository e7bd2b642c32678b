package demo

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/drift"
	"github.com/mlectl/mlectl/predlog"
	predapi "github.com/mlectl/mlectl/predlog/api"
	"github.com/mlectl/mlectl/predlog/baseline"
	"github.com/mlectl/mlectl/sim"
)

// Ground truth arrives late and not for every request, as in production.
const (
	labelCoverage = 0.8
	labelLagMin   = 2 * time.Second
)

// pendingLabel is a ground-truth label the demo will send as feedback once due.
type pendingLabel struct {
	due time.Time
	fb  predlog.Feedback
}

// toRecord converts a simulated prediction into the collector's record.
func toRecord(r sim.Record) predlog.Record {
	names := make([]string, 0, len(r.Features))
	for k := range r.Features {
		names = append(names, k)
	}
	sort.Strings(names)
	feats := make([]predlog.Feature, 0, len(names))
	for _, n := range names {
		switch v := r.Features[n].(type) {
		case float64:
			feats = append(feats, predlog.Feature{Name: n, Value: predlog.Float(v)})
		case string:
			feats = append(feats, predlog.Feature{Name: n, Value: predlog.String(v)})
		}
	}
	var expl []predlog.Feature
	if r.Explanations != nil {
		names = names[:0]
		for k := range r.Explanations {
			names = append(names, k)
		}
		sort.Strings(names)
		expl = make([]predlog.Feature, 0, len(names))
		for _, n := range names {
			expl = append(expl, predlog.Feature{Name: n, Value: predlog.Float(r.Explanations[n])})
		}
	}
	return predlog.Record{
		Model: r.Model, Version: r.Version, Role: r.Role, RequestID: r.RequestID, Status: r.Status,
		TS: r.TS.UnixMilli(), LatencyMS: predlog.Float(r.LatencyMS), Features: feats,
		Prediction: predlog.Prediction{Value: predlog.Float(r.Prediction)}, Explanations: expl,
	}
}

// queueLabels schedules the feedback of a tick's production records.
func (d *Demo) queueLabels(recs []sim.Record) {
	for _, r := range recs {
		if r.Role != "production" || r.Status != "ok" || d.rng.Float64() >= labelCoverage {
			continue
		}
		lo := min(labelLagMin, d.opts.LabelLag)
		lag := lo + time.Duration(d.rng.Int64N(int64(d.opts.LabelLag-lo)+1))
		due := r.TS.Add(lag)
		d.pending = append(d.pending, pendingLabel{due: due, fb: predlog.Feedback{RequestID: r.RequestID, Label: predlog.Float(r.Label), TS: due.UnixMilli()}})
	}
}

// sendDueLabels posts the labels due by now to /api/v1/feedback.
func (d *Demo) sendDueLabels(ctx context.Context, now time.Time) error {
	sort.SliceStable(d.pending, func(i, j int) bool { return d.pending[i].due.Before(d.pending[j].due) })
	n := 0
	for n < len(d.pending) && !d.pending[n].due.After(now) {
		n++
	}
	if n == 0 {
		return nil
	}
	var buf []byte
	for i := range d.pending[:n] {
		buf = predapi.AppendFeedbackJSON(buf, &d.pending[i].fb)
		buf = append(buf, '\n')
	}
	d.pending = append(d.pending[:0], d.pending[n:]...)
	cl, err := d.client()
	if err != nil {
		return err
	}
	if err := cl.PostFeedback(ctx, buf); err != nil {
		return fmt.Errorf("demo: POST /api/v1/feedback: %w", err)
	}
	return nil
}

// postPredictions sends one tick's records as NDJSON, like a model server.
func (d *Demo) postPredictions(ctx context.Context, recs []predlog.Record) error {
	if len(recs) == 0 {
		return nil
	}
	var buf []byte
	for i := range recs {
		buf = predlog.AppendJSON(buf, &recs[i])
		buf = append(buf, '\n')
	}
	cl, err := d.client()
	if err != nil {
		return err
	}
	if err := cl.PostPredictions(ctx, buf); err != nil {
		return fmt.Errorf("demo: POST /api/v1/predictions: %w", err)
	}
	return nil
}

// client is the collector client the demo feeds the pipeline through,
// like a model server would; each call is bounded by client.DefaultTimeout.
func (d *Demo) client() (*client.Client, error) {
	cl, err := client.New(d.URL)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return cl, nil
}

// importBaselines PUTs each model version's training profile as its
// baseline, so streaming drift has something to compare against.
func (d *Demo) importBaselines(ctx context.Context, now time.Time) error {
	cl, err := d.client()
	if err != nil {
		return err
	}
	for _, m := range d.Sim.Models() {
		frame, categorical := profileFrame(m)
		for _, v := range []string{m.Production, m.Previous, m.Shadow} {
			if v == "" {
				continue
			}
			p, err := baseline.FromFrame(m.Name, v, frame, categorical, now)
			if err != nil {
				return fmt.Errorf("demo: baseline of %s/%s: %w", m.Name, v, err)
			}
			b, err := p.Marshal()
			if err != nil {
				return fmt.Errorf("demo: baseline of %s/%s: %w", m.Name, v, err)
			}
			if err := cl.PutBaseline(ctx, m.Name, v, b); err != nil {
				return fmt.Errorf("demo: PUT baseline of %s/%s: %w", m.Name, v, err)
			}
		}
	}
	return nil
}

// profileFrame turns the model's training profile into a drift frame and
// names its categorical columns.
func profileFrame(m *sim.Model) (*drift.Frame, []string) {
	p := m.Profile
	f := &drift.Frame{Rows: p.Rows()}
	var categorical []string
	for _, name := range m.Features {
		c := p.ColumnIndex(name)
		if nums := p.Numeric[c]; nums != nil {
			f.Columns = append(f.Columns, &drift.Column{Name: name, DType: drift.DTypeFloat, Values: nums})
			continue
		}
		f.Columns = append(f.Columns, categoricalColumn(name, p.Text[c]))
		categorical = append(categorical, name)
	}
	return f, categorical
}

func categoricalColumn(name string, values []string) *drift.Column {
	col := &drift.Column{Name: name, DType: drift.DTypeObject, Codes: make([]uint32, 0, len(values))}
	index := map[string]uint32{}
	for _, v := range values {
		code, ok := index[v]
		if !ok {
			code = uint32(len(col.Labels))
			index[v] = code
			col.Labels = append(col.Labels, v)
		}
		col.Codes = append(col.Codes, code)
	}
	return col
}
