package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/internal/timeparse"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/store"
	"github.com/mlectl/mlectl/shadow"
)

const shadowReportUsage = `usage: mlectl shadow report MODEL [--from T] [--to T] [--candidate V] [--source logged|replay|live] [-o json]

Asks the collector to compare MODEL's production version with its candidate
(the shadow or canary version, or --candidate) over [--from, --to) and prints
agreement, mean and p99 |score difference|, Spearman rank correlation, PSI
between the score distributions, quality of each side when labels arrived,
and the most disagreeing requests. --source picks the comparison: logged
(shadow records logged beside production, paired by request id; the default
when there are any), replay (the production records re-scored through the
candidate's local model file on the collector) or live (the collector's
rolling live shadow). Times: RFC 3339, Unix seconds, now, -1h or now-1h.
`

const shadowReplayUsage = `usage: mlectl shadow replay MODEL --model FILE [--from T] [--to T] [--version V] [-o json]

Replays MODEL's logged production records through a candidate model file on
this machine: the records stream from the collector's export API
(GET /api/v1/predictions/export, nothing is uploaded), are scored in batches
of --batch rows on all cores, and are compared with what production
answered. Prints the same figures as shadow report, and rows/s. Features are
matched by name (the names in the model file; --features gives them for a
legacy XGBoost binary model, or overrides them); a missing feature is a
missing value. Labels are not
joined here (use shadow report --source replay on the collector for quality).
`

func shadowTimeFlags(fs *flag.FlagSet) (from, to *string) {
	from = fs.String("from", "-1h", "start: "+timeparse.Formats)
	to = fs.String("to", "now", "end, exclusive: "+timeparse.Formats)
	return from, to
}

func parseShadowRange(from, to string) (time.Time, time.Time, error) {
	now := time.Now()
	start, end, err := timeparse.Range(from, to, now, now.Add(-time.Hour), now)
	if err != nil {
		return time.Time{}, time.Time{}, usagef("--%v", err)
	}
	return start, end, nil
}

// shadowCompareFlags declares the agreement flags report and replay share.
func shadowCompareFlags(fs *flag.FlagSet) (threshold, tolerance *float64, top *int) {
	threshold = fs.Float64("threshold", 0, "classification threshold (default 0.5)")
	tolerance = fs.Float64("tolerance", 0, "regression agreement tolerance, absolute (default 5% of the mean production score)")
	top = fs.Int("top", 0, "disagreements to list, 1..20 (default 20)")
	return threshold, tolerance, top
}

// checkShadowCompare validates the agreement flags and parses the time range.
func checkShadowCompare(threshold, tolerance float64, top int, from, to string) (time.Time, time.Time, error) {
	if top < 0 || top > shadow.MaxTopDisagreements {
		return time.Time{}, time.Time{}, usagef("--top must be from 1 to %d", shadow.MaxTopDisagreements)
	}
	if threshold < 0 || tolerance < 0 {
		return time.Time{}, time.Time{}, usagef("--threshold and --tolerance must be positive")
	}
	return parseShadowRange(from, to)
}

func runShadowReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cli := newMetaFlags("shadow report", stderr)
	fs.Usage = func() { fmt.Fprint(stderr, shadowReportUsage); fs.PrintDefaults() }
	from, to := shadowTimeFlags(fs)
	candidate := fs.String("candidate", "", "candidate version (default: the shadow, else canary, version)")
	source := fs.String("source", "", "logged, replay or live (default: logged when shadow records exist)")
	threshold, tolerance, top := shadowCompareFlags(fs)
	output := fs.String("o", "table", "output: table or json")
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one MODEL, got %d arguments\n%s", len(pos), shadowReportUsage)
	}
	if *output != "table" && *output != "json" {
		return usagef("-o must be table or json, not %q", *output)
	}
	switch *source {
	case "", shadow.SourceLogged, shadow.SourceReplay, shadow.SourceLive:
	default:
		return usagef("--source must be logged, replay or live, not %q", *source)
	}
	start, end, err := checkShadowCompare(*threshold, *tolerance, *top, *from, *to)
	if err != nil {
		return err
	}
	cl, err := newCLIClient(cli.collector, cli.token)
	if err != nil {
		return usagef("--collector: %v", err)
	}
	q := url.Values{"from": {start.UTC().Format(time.RFC3339Nano)}, "to": {end.UTC().Format(time.RFC3339Nano)}}
	if *candidate != "" {
		q.Set("candidate", *candidate)
	}
	if *source != "" {
		q.Set("source", *source)
	}
	if *threshold > 0 {
		q.Set("threshold", strconv.FormatFloat(*threshold, 'g', -1, 64))
	}
	if *tolerance > 0 {
		q.Set("tolerance", strconv.FormatFloat(*tolerance, 'g', -1, 64))
	}
	if *top > 0 {
		q.Set("top", strconv.Itoa(*top))
	}
	rep, err := cl.ShadowReportQuery(ctx, pos[0], q)
	if err != nil {
		var ae *client.APIError
		if errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest {
			return usagef("%v", err)
		}
		return fmt.Errorf("shadow report of %s: %w", pos[0], err)
	}
	if *output == "json" {
		return printJSON(stdout, rep)
	}
	return writeShadowReport(stdout, &rep)
}

func fmtNum(v shadow.Num, prec int) string {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(f, 'f', prec, 64)
}

// writeShadowReport prints the figures and the top disagreements.
func writeShadowReport(w io.Writer, r *shadow.Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "model\t%s: production %s vs candidate %s\n", r.Model, r.ProductionVersion, r.CandidateVersion)
	fmt.Fprintf(tw, "source\t%s, %s → %s\n", r.Source, r.From.Format(time.RFC3339), r.To.Format(time.RFC3339))
	fmt.Fprintf(tw, "pairs\t%d", r.Pairs)
	if r.Unpaired > 0 || r.Skipped > 0 {
		fmt.Fprintf(tw, " (%d unpaired, %d skipped)", r.Unpaired, r.Skipped)
	}
	fmt.Fprintln(tw)
	agree := "n/a"
	if f := float64(r.Agreement); !math.IsNaN(f) {
		agree = strconv.FormatFloat(100*f, 'f', 2, 64) + "%"
	}
	if r.Task == shadow.TaskRegression {
		fmt.Fprintf(tw, "agreement\t%s (|diff| <= %s, %s)\n", agree, fmtNum(r.Tolerance, 4), r.Task)
	} else {
		fmt.Fprintf(tw, "agreement\t%s (threshold %s, %s)\n", agree, fmtNum(r.Threshold, 3), r.Task)
	}
	fmt.Fprintf(tw, "mean |diff|\t%s\n", fmtNum(r.MeanAbsDiff, 5))
	fmt.Fprintf(tw, "p99 |diff|\t%s\n", fmtNum(r.P99AbsDiff, 5))
	fmt.Fprintf(tw, "spearman\t%s\n", fmtNum(r.Spearman, 4))
	fmt.Fprintf(tw, "psi\t%s\n", fmtNum(r.PSI, 4))
	if q := r.Quality; q != nil {
		fmt.Fprintf(tw, "quality\t%s production %s, candidate %s (%d labelled)\n", q.Production.Metric,
			fmtNum(q.Production.Value, 4), fmtNum(q.Candidate.Value, 4), q.Candidate.Labelled)
	} else {
		fmt.Fprintf(tw, "quality\tno labels\n")
	}
	if f := float64(r.RowsPerSecond); f > 0 {
		fmt.Fprintf(tw, "rows/s\t%s\n", strconv.FormatFloat(f, 'f', 0, 64))
	}
	if r.Backend != "" {
		fmt.Fprintf(tw, "backend\t%s\n", r.Backend)
	}
	if r.Sampled {
		fmt.Fprintf(tw, "note\tp99, spearman, psi and auc from a uniform sample of the pairs\n")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.TopDisagreements) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nTOP DISAGREEMENTS")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REQUEST\tTIME\tPRODUCTION\tCANDIDATE\t|DIFF|")
	for _, d := range r.TopDisagreements {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.RequestID, d.TS.Format(time.RFC3339), fmtNum(d.Production, 5),
			fmtNum(d.Candidate, 5), fmtNum(d.AbsDiff, 5))
	}
	return tw.Flush()
}

func runShadowReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cli := newMetaFlags("shadow replay", stderr)
	fs.Usage = func() { fmt.Fprint(stderr, shadowReplayUsage); fs.PrintDefaults() }
	from, to := shadowTimeFlags(fs)
	modelPath := fs.String("model", "", "candidate model `file` (XGBoost JSON, legacy XGBoost binary, LightGBM text)")
	version := fs.String("version", "", "production version to replay (default: every production record)")
	features := fs.String("features", "", "comma-separated record feature names in model column order (default: the names in the model file)")
	threshold, tolerance, top := shadowCompareFlags(fs)
	batch := fs.Int("batch", shadow.DefaultBatchRows, "rows per scoring batch")
	threads := fs.Int("threads", 0, "scoring goroutines (default: all cores)")
	backendName := fs.String("backend", "cpu", backendFlagHelp)
	output := fs.String("o", "table", "output: table or json")
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one MODEL, got %d arguments\n%s", len(pos), shadowReplayUsage)
	}
	if *modelPath == "" {
		return usagef("--model is required")
	}
	if *output != "table" && *output != "json" {
		return usagef("-o must be table or json, not %q", *output)
	}
	if *batch <= 0 {
		return usagef("--batch must be positive")
	}
	start, end, err := checkShadowCompare(*threshold, *tolerance, *top, *from, *to)
	if err != nil {
		return err
	}
	base, err := collectorBase(cli.collector)
	if err != nil {
		return err
	}
	var names []string
	if *features != "" {
		names = strings.Split(*features, ",")
	}
	cand, err := shadow.LoadCandidate(*modelPath, "file:"+*modelPath, names)
	if err != nil {
		return usagef("--model: %v", err)
	}
	cl, err := collectorClient(cli, exportTimeout)
	if err != nil {
		return err
	}
	backend, reason, done, err := scoringBackend(*backendName, cand.Model, *threads, stderr)
	if err != nil {
		return err
	}
	defer done()
	src := &exportScanner{base: base, cl: cl}
	acc := shadow.NewAccumulator(shadow.Options{Threshold: *threshold, Tolerance: *tolerance, TopN: *top})
	info, err := shadow.Replay(ctx, src, nil, cand, backend,
		shadow.ReplayQuery{Model: pos[0], ProductionVersion: *version, From: start, To: end, BatchRows: *batch}, acc.Add)
	if err != nil {
		return err
	}
	rep := shadow.Report{Model: pos[0], ProductionVersion: info.ProductionVersion, CandidateVersion: filepath.Base(*modelPath),
		Source: shadow.SourceReplay, From: start.UTC(), To: end.UTC(), Skipped: info.Skipped,
		RowsPerSecond: shadow.Num(info.RowsPerSecond), Backend: reason}
	shadow.Fill(&rep, acc.Result())
	if *output == "json" {
		return printJSON(stdout, rep)
	}
	return writeShadowReport(stdout, &rep)
}

// exportScanner reads a model's records from the collector's export API, in
// time order, for shadow.Replay.
type exportScanner struct {
	base string
	cl   *client.Client
}

func (e *exportScanner) Scan(ctx context.Context, q store.Query, fn func(*predlog.Record) error) error {
	params := url.Values{"model": {q.Model}, "format": {"ndjson"}}
	if q.Version != "" {
		params.Set("version", q.Version)
	}
	if !q.From.IsZero() {
		params.Set("from", q.From.UTC().Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		params.Set("to", q.To.UTC().Format(time.RFC3339Nano))
	}
	body, err := e.cl.ExportPredictions(ctx, params)
	if err != nil {
		return collectorError(err, "export", "export from "+e.base)
	}
	defer body.Close()
	dec := predlog.NewDecoder(nil)
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 1<<16), predlogMaxLine)
	var rec predlog.Record
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		if err := dec.Decode(sc.Bytes(), &rec); err != nil {
			return fmt.Errorf("export line %d: %w", line, err)
		}
		if err := fn(&rec); err != nil {
			return err
		}
		if line%4096 == 0 {
			dec.Recycle()
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("export from %s was cut short: %w", e.base, err)
	}
	return nil
}

// predlogMaxLine is the longest export line read (the collector accepts
// lines up to 1 MiB).
const predlogMaxLine = 4 << 20
