package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/internal/timeparse"
)

const logsUsage = `usage: mlectl logs export MODEL [--version V] [--from T] [--to T] [--format ndjson|csv]
       [--injected include|exclude|only] [--collector URL]

Streams the logged predictions of MODEL from the collector's prediction log to
stdout, in time order. --from (inclusive) and --to (exclusive) take RFC 3339,
Unix seconds, now, -1h or now-1h (as Prometheus and Grafana); both default to
open. NDJSON lines can be posted back to /api/v1/predictions unchanged; CSV has
one column per feature seen in the range. --injected exclude leaves out the
records a game day rewrote (use it for training sets); only keeps just those.
`

func runLogs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, logsUsage)
		if len(args) == 0 {
			return usagef("missing subcommand\n%s", logsUsage)
		}
		return nil
	}
	if args[0] != "export" {
		return usagef("unknown subcommand %q (want export)\n%s", args[0], logsUsage)
	}
	fs, cli := newMetaFlags("logs export", stderr)
	version := fs.String("version", "", "only this model version")
	from := fs.String("from", "", "start time: "+timeparse.Formats)
	to := fs.String("to", "", "end time, exclusive: "+timeparse.Formats)
	format := fs.String("format", "ndjson", "ndjson or csv")
	injected := fs.String("injected", "include", "game-day records: include, exclude or only")
	pos, err := metaParse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one MODEL, got %d arguments\n%s", len(pos), logsUsage)
	}
	if *format != "ndjson" && *format != "csv" {
		return usagef("--format must be ndjson or csv, not %q", *format)
	}
	if *injected != "include" && *injected != "exclude" && *injected != "only" {
		return usagef("--injected must be include, exclude or only, not %q", *injected)
	}
	q := url.Values{"model": {pos[0]}, "format": {*format}}
	if *injected != "include" {
		q.Set("injected", *injected)
	}
	if *version != "" {
		q.Set("version", *version)
	}
	start, end, err := timeparse.Range(*from, *to, time.Now(), time.Time{}, time.Time{})
	if err != nil {
		return usagef("--%v", err)
	}
	if !start.IsZero() {
		q.Set("from", start.Format(time.RFC3339Nano))
	}
	if !end.IsZero() {
		q.Set("to", end.Format(time.RFC3339Nano))
	}
	base, err := collectorBase(cli.collector)
	if err != nil {
		return err
	}
	cl, err := collectorClient(cli, exportTimeout)
	if err != nil {
		return err
	}
	body, err := cl.ExportPredictions(ctx, q)
	if err != nil {
		return collectorError(err, "export", "export from "+base)
	}
	defer body.Close()
	if _, err := io.Copy(stdout, body); err != nil {
		return fmt.Errorf("export from %s was cut short: %w", base, err)
	}
	return nil
}

func collectorBase(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usagef("--collector: %q is not an http(s) URL", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}

// Timeouts of the collector calls that move data: a whole export (the
// command's context, ended by Ctrl-C, can stop it sooner) and a baseline.
const (
	exportTimeout   = 30 * time.Minute
	baselineTimeout = 5 * time.Minute
)

// collectorClient is the client of the collector named by --collector and
// --token, with timeout bounding each call.
func collectorClient(cli *metaCLI, timeout time.Duration) (*client.Client, error) {
	base, err := collectorBase(cli.collector)
	if err != nil {
		return nil, err
	}
	cl, err := client.New(base, client.WithToken(cli.token), client.WithTimeout(timeout))
	if err != nil {
		return nil, usagef("--collector: %v", err)
	}
	return cl, nil
}

// collectorError words a failed call for the operator: a refusal quotes
// the collector's message (a 4xx other than 404 is a usage error, exit 2);
// a transport failure is prefixed with failed, which says what was tried.
func collectorError(err error, what, failed string) error {
	var se *client.StatusError
	if !errors.As(err, &se) {
		return fmt.Errorf("%s: %w", failed, err)
	}
	msg := se.Message
	if se.NotServed() {
		msg = "this collector does not serve the prediction log"
	}
	if se.StatusCode >= 400 && se.StatusCode < 500 && se.StatusCode != http.StatusNotFound {
		return usagef("%s refused (HTTP %d): %s", what, se.StatusCode, msg)
	}
	return fmt.Errorf("%s failed (HTTP %d): %s", what, se.StatusCode, msg)
}
