package loadgen

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/mlectl/mlectl/predlog"
)

// Rows are the parsed rows of a CSV: features per row and the optional
// prediction.
type Rows struct {
	Columns    []string // feature names, in CSV order
	Features   [][]predlog.Feature
	Prediction []predlog.Value // per row; KindAbsent without a prediction column
}

// Len is the number of rows.
func (r *Rows) Len() int { return len(r.Features) }

// ReadCSVFile reads path; see ReadCSV.
func ReadCSVFile(path, predictionColumn string) (*Rows, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open CSV: %w", err)
	}
	defer f.Close()
	rows, err := ReadCSV(f, predictionColumn)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// ReadCSV reads a CSV with a header row. Every column is a feature except
// predictionColumn (when not empty it must exist; a column named
// "prediction" is the prediction when predictionColumn is empty). Cells
// that parse as finite numbers are numbers, empty cells and NaN or infinite
// ones (JSON has no such numbers) are null, the rest strings.
func ReadCSV(r io.Reader, predictionColumn string) (*Rows, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the CSV is empty; want a header row and at least one data row")
		}
		return nil, fmt.Errorf("CSV header: %w", err)
	}
	pred := -1
	seen := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		header[i] = h
		if h == "" {
			return nil, fmt.Errorf("CSV header: column %d has no name", i+1)
		}
		if !utf8.ValidString(h) {
			return nil, fmt.Errorf("CSV header: the name of column %d is not UTF-8 text", i+1)
		}
		if len(h) > predlog.MaxNameBytes {
			return nil, fmt.Errorf("CSV header: the name of column %d is %d bytes long; the collector takes feature names of at most %d", i+1, len(h), predlog.MaxNameBytes)
		}
		if j, dup := seen[h]; dup {
			return nil, fmt.Errorf("CSV header: column %d is named %q like column %d; feature names must be unique", i+1, h, j+1)
		}
		seen[h] = i
		if (predictionColumn != "" && h == predictionColumn) || (predictionColumn == "" && h == "prediction") {
			pred = i
		}
	}
	if predictionColumn != "" && pred < 0 {
		return nil, fmt.Errorf("prediction column %q is not in the CSV header (%s)", predictionColumn, strings.Join(header, ","))
	}
	out := &Rows{}
	for i, h := range header {
		if i != pred {
			out.Columns = append(out.Columns, h)
		}
	}
	if len(out.Columns) > predlog.MaxFeatures {
		return nil, fmt.Errorf("CSV header: %d feature columns; the collector takes at most %d features a record", len(out.Columns), predlog.MaxFeatures)
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("CSV: %w", err)
		}
		feats := make([]predlog.Feature, 0, len(out.Columns))
		pv := predlog.Value{}
		for i, cell := range rec {
			v := cellValue(cell)
			if v.Kind == predlog.KindString && len(v.Str) > predlog.MaxStringBytes {
				at, _ := cr.FieldPos(i)
				return nil, fmt.Errorf("CSV line %d, column %q: a text value of %d bytes; the collector takes at most %d", at, header[i], len(v.Str), predlog.MaxStringBytes)
			}
			if i == pred {
				pv = v
				continue
			}
			feats = append(feats, predlog.Feature{Name: header[i], Value: v})
		}
		out.Features = append(out.Features, feats)
		out.Prediction = append(out.Prediction, pv)
	}
	if out.Len() == 0 {
		return nil, errors.New("the CSV has a header but no data rows")
	}
	return out, nil
}

func cellValue(s string) predlog.Value {
	s = strings.TrimSpace(s)
	if s == "" {
		return predlog.Null
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return predlog.Null
		}
		return predlog.Float(f)
	}
	return predlog.String(s)
}

// Options configures a Generator.
type Options struct {
	Collector string // base URL
	Token     string
	Model     string
	Version   string
	Role      string  // default production
	Rate      float64 // records per second
	// LatencyMS is sent as every record's latency_ms (default 10).
	LatencyMS float64
	// Flush is how often a batch is posted (default 100ms).
	Flush time.Duration
	// Sequential sends rows in file order (cycling); by default rows are
	// drawn uniformly at random (a bootstrap sample), because files sorted
	// by time would otherwise look like drift from one window to the next.
	Sequential bool
	// Seed seeds the random draws (default 1).
	Seed uint64
	// RunID prefixes request ids (default the start time in base 36).
	RunID string
	// HTTP sends the batches (default: a client with a 30 s timeout).
	HTTP   *http.Client
	Now    func() time.Time
	Logger interface {
		Warn(msg string, args ...any)
	}
}

// Stats count what a Generator sent.
type Stats struct {
	Sent     int64 `json:"sent"`
	Accepted int64 `json:"accepted"`
	Failed   int64 `json:"failed"` // records in batches the collector refused
	Batches  int64 `json:"batches"`
}

// Generator posts rows at a fixed rate. Records and Post are for one
// goroutine (Run's); Stats may be read from any.
type Generator struct {
	opts  Options
	rows  *Rows
	next  int
	rng   *rand.Rand
	seq   int64
	stats struct{ sent, accepted, failed, batches atomic.Int64 }
	buf   []byte
}

// New validates opts and returns a generator of rows.
func New(rows *Rows, opts Options) (*Generator, error) {
	switch {
	case rows == nil || rows.Len() == 0:
		return nil, errors.New("loadgen: no rows to send")
	case opts.Collector == "":
		return nil, errors.New("loadgen: collector URL is empty")
	case opts.Model == "":
		return nil, errors.New("loadgen: model is required")
	case opts.Version == "":
		return nil, errors.New("loadgen: version is required (records are stored per model version)")
	case !(opts.Rate > 0) || opts.Rate > 1e6:
		return nil, fmt.Errorf("loadgen: rate must be between 0 and 1000000 records per second, not %g", opts.Rate)
	}
	if opts.Role == "" {
		opts.Role = predlog.RoleProduction
	}
	if opts.LatencyMS <= 0 {
		opts.LatencyMS = 10
	}
	if opts.Flush <= 0 {
		opts.Flush = 100 * time.Millisecond
	}
	if opts.HTTP == nil {
		// A collector that stops answering must not hang a sender forever.
		opts.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RunID == "" {
		opts.RunID = strconv.FormatInt(opts.Now().UnixMilli(), 36)
	}
	opts.Collector = strings.TrimRight(opts.Collector, "/")
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	return &Generator{opts: opts, rows: rows, rng: rand.New(rand.NewPCG(opts.Seed, 0))}, nil
}

// Stats returns the counts so far; safe to call while Run runs.
func (g *Generator) Stats() Stats {
	return Stats{Sent: g.stats.sent.Load(), Accepted: g.stats.accepted.Load(), Failed: g.stats.failed.Load(), Batches: g.stats.batches.Load()}
}

// Records builds the next n records, stamped at ts.
func (g *Generator) Records(n int, ts time.Time) []predlog.Record {
	out := make([]predlog.Record, n)
	for i := range out {
		row := g.next
		if g.opts.Sequential {
			g.next = (g.next + 1) % g.rows.Len()
		} else {
			row = g.rng.IntN(g.rows.Len())
		}
		g.seq++
		out[i] = predlog.Record{
			Model: g.opts.Model, Version: g.opts.Version, Role: g.opts.Role, Status: predlog.StatusOK,
			RequestID: "lg-" + g.opts.RunID + "-" + strconv.FormatInt(g.seq, 10),
			TS:        ts.UnixMilli(), LatencyMS: predlog.Float(g.opts.LatencyMS),
			Features:   append([]predlog.Feature(nil), g.rows.Features[row]...),
			Prediction: predlog.Prediction{Value: g.rows.Prediction[row]},
		}
	}
	return out
}

// Post sends recs as one NDJSON request.
func (g *Generator) Post(ctx context.Context, recs []predlog.Record) error {
	g.buf = g.buf[:0]
	for i := range recs {
		g.buf = predlog.AppendJSON(g.buf, &recs[i])
		g.buf = append(g.buf, '\n')
	}
	g.stats.sent.Add(int64(len(recs)))
	g.stats.batches.Add(1)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.opts.Collector+"/api/v1/predictions", bytes.NewReader(g.buf))
	if err != nil {
		return fmt.Errorf("loadgen: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	if g.opts.Token != "" {
		req.Header.Set("Authorization", "Bearer "+g.opts.Token)
	}
	resp, err := g.opts.HTTP.Do(req)
	if err != nil {
		g.stats.failed.Add(int64(len(recs)))
		return fmt.Errorf("loadgen: posting %d predictions: %w", len(recs), err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		g.stats.failed.Add(int64(len(recs)))
		return fmt.Errorf("loadgen: the collector refused %d predictions (HTTP %d): %s", len(recs), resp.StatusCode, bytes.TrimSpace(msg))
	}
	g.stats.accepted.Add(int64(len(recs)))
	return nil
}

// maxBatch bounds one request (the collector refuses more than 100000).
const maxBatch = 20000

// Run posts records at the rate until ctx is done or, when d > 0, for d.
// A failed batch is logged and counted, and sending goes on; Run returns
// an error only when every batch failed. A batch in flight when d ends is
// still delivered (up to 30 s); one in flight when ctx is done is given up
// at once.
func (g *Generator) Run(ctx context.Context, d time.Duration) error {
	parent := ctx
	if d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	t := time.NewTicker(g.opts.Flush)
	defer t.Stop()
	start := g.opts.Now()
	var due float64
	sentRecs := 0.0
	var lastErr error
	for {
		select {
		case <-ctx.Done():
			st := g.Stats()
			if st.Batches > 0 && st.Accepted == 0 && lastErr != nil {
				return lastErr
			}
			return nil
		case <-t.C:
		}
		now := g.opts.Now()
		due = now.Sub(start).Seconds()*g.opts.Rate - sentRecs
		n := min(int(due), maxBatch)
		if n <= 0 {
			continue
		}
		sentRecs += float64(n)
		// A batch that is due is delivered even when d ends meanwhile,
		// but not after the caller cancelled.
		pctx, cancel := context.WithTimeout(parent, 30*time.Second)
		err := g.Post(pctx, g.Records(n, now))
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				continue
			}
			lastErr = err
			if g.opts.Logger != nil {
				g.opts.Logger.Warn("loadgen batch failed", "err", err)
			}
		}
	}
}
