package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/predictions/export?"+q.Encode(), nil)
	if err != nil {
		return usagef("--collector: %v", err)
	}
	if cli.token != "" {
		req.Header.Set("Authorization", "Bearer "+cli.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("export from %s: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return collectorError(resp, "export")
	}
	if _, err := io.Copy(stdout, resp.Body); err != nil {
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

// collectorError turns a non-2xx answer into an error quoting the
// collector's message.
func collectorError(resp *http.Response, what string) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	if resp.StatusCode == http.StatusNotFound && msg == "404 page not found" {
		msg = "this collector does not serve the prediction log"
	}
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusNotFound {
		return usagef("%s refused (HTTP %d): %s", what, resp.StatusCode, msg)
	}
	return fmt.Errorf("%s failed (HTTP %d): %s", what, resp.StatusCode, msg)
}
