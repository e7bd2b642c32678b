package demo

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/drift"
	"github.com/mlectl/mlectl/sim"
)

// featureWindow keeps the production inputs of one model seen during the
// last window, to compare against the model's training profile.
type featureWindow struct {
	model    *sim.Model
	baseline *drift.Frame
	times    []time.Time
	rows     []map[string]any
	version  string
}

func newFeatureWindow(m *sim.Model) *featureWindow {
	return &featureWindow{model: m, baseline: profileFrame(m)}
}

// profileFrame turns the model's training profile into a drift frame.
func profileFrame(m *sim.Model) *drift.Frame {
	p := m.Profile
	f := &drift.Frame{Rows: p.Rows()}
	for _, name := range m.Features {
		c := p.ColumnIndex(name)
		if nums := p.Numeric[c]; nums != nil {
			f.Columns = append(f.Columns, &drift.Column{Name: name, DType: drift.DTypeFloat, Values: nums})
			continue
		}
		f.Columns = append(f.Columns, categoricalColumn(name, p.Text[c]))
	}
	return f
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

func (w *featureWindow) add(r sim.Record) {
	w.times = append(w.times, r.TS)
	w.rows = append(w.rows, r.Features)
	w.version = r.Version
}

// trim drops rows older than the window.
func (w *featureWindow) trim(now time.Time, window time.Duration) {
	cut := 0
	for cut < len(w.times) && now.Sub(w.times[cut]) > window {
		cut++
	}
	w.times = append(w.times[:0], w.times[cut:]...)
	w.rows = append(w.rows[:0], w.rows[cut:]...)
}

func (w *featureWindow) current() *drift.Frame {
	f := &drift.Frame{Rows: len(w.rows)}
	for _, base := range w.baseline.Columns {
		if base.DType == drift.DTypeObject {
			texts := make([]string, len(w.rows))
			for i, r := range w.rows {
				texts[i] = sim.FormatFeature(r[base.Name])
			}
			f.Columns = append(f.Columns, categoricalColumn(base.Name, texts))
			continue
		}
		vals := make([]float64, len(w.rows))
		for i, r := range w.rows {
			vals[i], _ = r[base.Name].(float64)
		}
		f.Columns = append(f.Columns, &drift.Column{Name: base.Name, DType: drift.DTypeFloat, Values: vals})
	}
	return f
}

// minWindowRows guards against noisy verdicts on too little traffic.
const minWindowRows = 100

// appendDrift compares the window with the baseline and appends the drift
// series for the model's production version at ts.
func (w *featureWindow) appendDrift(ctx context.Context, db storage.Appendable, ts time.Time) error {
	if len(w.rows) < minWindowRows {
		return nil
	}
	rep, err := drift.Compare(ctx, w.baseline, w.current(), drift.Options{})
	if err != nil {
		return fmt.Errorf("drift for model %s: %w", w.model.Name, err)
	}
	cols := append([]drift.ColumnReport(nil), rep.Columns...)
	sort.Slice(cols, func(i, j int) bool { return cols[i].Name < cols[j].Name })
	app := db.Appender(ctx)
	t := ts.UnixMilli()
	add := func(v float64, kv ...string) error {
		_, err := app.Append(0, labels.FromStrings(kv...), t, v)
		return err
	}
	for _, c := range cols {
		drifted := 0.0
		if c.Drifted {
			drifted = 1
		}
		base := []string{"model", w.model.Name, "version", w.version, "feature", c.Name, "method", string(c.Method), "against", "baseline"}
		if err := add(c.Score, append([]string{"__name__", "mle_feature_drift_score"}, base...)...); err != nil {
			_ = app.Rollback()
			return fmt.Errorf("append drift score: %w", err)
		}
		if err := add(c.Threshold, append([]string{"__name__", "mle_feature_drift_threshold"}, base...)...); err != nil {
			_ = app.Rollback()
			return fmt.Errorf("append drift threshold: %w", err)
		}
		if err := add(drifted, append([]string{"__name__", "mle_feature_drifted"}, base...)...); err != nil {
			_ = app.Rollback()
			return fmt.Errorf("append drift verdict: %w", err)
		}
	}
	if err := add(rep.ShareDrifted, "__name__", "mle_dataset_drift_share", "model", w.model.Name, "version", w.version, "against", "baseline"); err != nil {
		_ = app.Rollback()
		return fmt.Errorf("append drift share: %w", err)
	}
	return app.Commit()
}
