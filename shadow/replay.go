package shadow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/model"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/store"
)

// Candidate is a loaded candidate model and the record feature each of its
// columns reads.
type Candidate struct {
	Version string
	Model   engine.Model
	// Features names the record feature of each model column, in column
	// order; len == Model.NumFeatures().
	Features []string
}

// featureNamer is implemented by models that carry their feature names.
type featureNamer interface{ FeatureNames() []string }

// LoadCandidate loads a model file (any format engine/model detects). The
// feature names come from the model file when it has them (XGBoost JSON
// feature_names, LightGBM model.txt feature_names=) unless features is
// given, which must then have one name per model column (legacy XGBoost
// binary models carry no names).
func LoadCandidate(path, version string, features []string) (Candidate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Candidate{}, fmt.Errorf("reading candidate model: %w", err)
	}
	m, err := model.Load(data, model.FormatAuto, model.Options{})
	if err != nil {
		return Candidate{}, fmt.Errorf("loading candidate model %s: %w", path, err)
	}
	if features == nil && model.Detect(data) == model.FormatLightGBM {
		features = lightGBMFeatureNames(data)
	}
	return NewCandidate(m, version, features)
}

// lightGBMFeatureNames reads the feature_names= line of a LightGBM model.txt
// header (the names the model was trained with, in column order).
func lightGBMFeatureNames(data []byte) []string {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimRight(line, "\r")
		if bytes.HasPrefix(line, []byte("Tree=")) {
			break // the header is over
		}
		if v, ok := bytes.CutPrefix(line, []byte("feature_names=")); ok {
			return strings.Fields(string(v))
		}
	}
	return nil
}

// NewCandidate checks that m gives one score per row and names its columns:
// features when given (an override), else the names the model carries.
func NewCandidate(m engine.Model, version string, features []string) (Candidate, error) {
	if m.NumOutputs() != 1 {
		return Candidate{}, fmt.Errorf("the candidate predicts %d values per row; a shadow comparison needs one score per row", m.NumOutputs())
	}
	if n, ok := m.(featureNamer); ok && len(features) == 0 {
		features = n.FeatureNames()
	}
	if len(features) != m.NumFeatures() {
		return Candidate{}, fmt.Errorf("the candidate model has %d unnamed feature columns but %d feature names are known; the model file must name its features (or give them in column order)", m.NumFeatures(), len(features))
	}
	return Candidate{Version: version, Model: m, Features: features}, nil
}

// LocalArtifact returns the local file path of a registry artifact URI
// (file:///path, file:path or a plain path), or an error for remote URIs.
func LocalArtifact(uri string) (string, error) {
	if u, err := url.Parse(uri); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		if u.Scheme != "file" {
			return "", fmt.Errorf("artifact_uri %q is not a local model file (scheme %s)", uri, u.Scheme)
		}
		p := u.Path
		if p == "" {
			p = u.Opaque
		}
		return p, nil
	}
	if strings.TrimSpace(uri) == "" {
		return "", errors.New("artifact_uri is empty")
	}
	return uri, nil
}

// rowFiller copies record features into batch rows in the candidate's
// column order. It remembers the feature layout of the last record, so
// records of one block (same feature names, same order) map without a
// lookup.
type rowFiller struct {
	col         map[string]int
	layoutNames []string
	layout      []int // record feature position -> column, -1 unused
}

func newRowFiller(features []string) *rowFiller {
	f := &rowFiller{col: make(map[string]int, len(features))}
	for i, n := range features {
		f.col[n] = i
	}
	return f
}

// fill writes r's features into row; a feature the record lacks, null, or
// not a number or boolean is missing (NaN).
func (f *rowFiller) fill(row []float64, feats []predlog.Feature) {
	for j := range row {
		row[j] = math.NaN()
	}
	same := len(feats) == len(f.layoutNames)
	for i := 0; same && i < len(feats); i++ {
		same = feats[i].Name == f.layoutNames[i]
	}
	if !same {
		f.layoutNames = f.layoutNames[:0]
		f.layout = f.layout[:0]
		for i := range feats {
			c, ok := f.col[feats[i].Name]
			if !ok {
				c = -1
			}
			f.layoutNames = append(f.layoutNames, feats[i].Name)
			f.layout = append(f.layout, c)
		}
	}
	for i, c := range f.layout {
		if c < 0 {
			continue
		}
		switch v := &feats[i].Value; v.Kind {
		case predlog.KindNumber, predlog.KindBool:
			row[c] = v.Num
		}
	}
}

// DefaultBatchRows is the replay and live batch size.
const DefaultBatchRows = 4096

// ReplayQuery selects the production records to replay.
type ReplayQuery struct {
	Model string
	// ProductionVersion "" replays production records of every version.
	ProductionVersion string
	From, To          time.Time
	// BatchRows per Score call; default DefaultBatchRows.
	BatchRows int
}

// ReplayInfo says what a replay did.
type ReplayInfo struct {
	// Rows scored; Skipped production records (status error, no numeric
	// prediction).
	Rows, Skipped int
	// ProductionVersion is the production version seen most often.
	ProductionVersion string
	Labelled          int
	Seconds           float64
	// RowsPerSecond is rows over the whole replay: reading the log,
	// building batches, scoring and comparing.
	RowsPerSecond float64
}

// replayBatch holds one batch of records' identities next to their rows.
type replayBatch struct {
	b        engine.Batch
	out      []float64
	ids      []string
	ts       []int64
	prod     []float64
	injected []bool
	n        int
}

func newReplayBatch(rows, cols int) *replayBatch {
	return &replayBatch{b: engine.NewBatch(rows, cols), out: make([]float64, rows),
		ids: make([]string, rows), ts: make([]int64, rows), prod: make([]float64, rows), injected: make([]bool, rows)}
}

// score scores the first n rows and hands the pairs to add.
func (rb *replayBatch) score(ctx context.Context, backend engine.Backend, c Candidate, labels Labels, add func(Pair), labelled *int) error {
	if rb.n == 0 {
		return nil
	}
	b := rb.b.Slice(0, rb.n)
	if err := backend.Score(ctx, c.Model, b, rb.out[:rb.n]); err != nil {
		return fmt.Errorf("scoring with candidate %s: %w", c.Version, err)
	}
	for i := 0; i < rb.n; i++ {
		p := Pair{RequestID: rb.ids[i], TS: rb.ts[i], Production: rb.prod[i], Candidate: rb.out[i]}
		if labels != nil && p.RequestID != "" && !rb.injected[i] {
			v, ok, err := labels.Label(ctx, p.RequestID)
			if err != nil {
				return fmt.Errorf("label of request %s: %w", p.RequestID, err)
			}
			if ok && (v.Kind == predlog.KindNumber || v.Kind == predlog.KindBool) {
				p.Label, p.Labelled = v.Num, true
				*labelled++
			}
		}
		add(p)
		rb.ids[i] = ""
	}
	rb.n = 0
	return nil
}

// Replay streams the production records of q through the candidate in
// batches of q.BatchRows (row-major engine.Batch; each record's features
// mapped by name to the candidate's columns, missing ones NaN) and hands
// each (production prediction, candidate score) pair to add, with its label
// when labels (may be nil) has one. Memory: one batch (BatchRows × columns
// float64 plus the ids) and the log's open blocks.
func Replay(ctx context.Context, log Scanner, labels Labels, c Candidate, backend engine.Backend, q ReplayQuery, add func(Pair)) (ReplayInfo, error) {
	if backend == nil {
		backend = engine.DefaultBackend()
	}
	if q.BatchRows <= 0 {
		q.BatchRows = DefaultBatchRows
	}
	start := time.Now()
	var info ReplayInfo
	rb := newReplayBatch(q.BatchRows, c.Model.NumFeatures())
	filler := newRowFiller(c.Features)
	versions := map[string]int{}
	err := log.Scan(ctx, store.Query{Model: q.Model, Version: q.ProductionVersion, From: q.From, To: q.To}, func(r *predlog.Record) error {
		if r.Role != predlog.RoleProduction {
			return nil
		}
		score, ok := numericPrediction(r)
		if r.Status != predlog.StatusOK || !ok {
			info.Skipped++
			return nil
		}
		versions[r.Version]++
		i := rb.n
		filler.fill(rb.b.Row(i), r.Features)
		rb.ids[i], rb.ts[i], rb.prod[i], rb.injected[i] = r.RequestID, r.TS, score, r.Injected
		rb.n++
		info.Rows++
		if rb.n == q.BatchRows {
			return rb.score(ctx, backend, c, labels, add, &info.Labelled)
		}
		return nil
	})
	if err == nil {
		err = rb.score(ctx, backend, c, labels, add, &info.Labelled)
	}
	if err != nil {
		return info, fmt.Errorf("replaying %s through candidate %s: %w", q.Model, c.Version, err)
	}
	best := 0
	for v, n := range versions {
		if n > best || (n == best && v < info.ProductionVersion) {
			info.ProductionVersion, best = v, n
		}
	}
	info.Seconds = time.Since(start).Seconds()
	if info.Seconds > 0 {
		info.RowsPerSecond = float64(info.Rows) / info.Seconds
	}
	return info, nil
}
