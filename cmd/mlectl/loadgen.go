package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/gameday/loadgen"
)

const loadgenUsage = `usage: mlectl loadgen MODEL --rate R --from-csv FILE [--version V] [--duration D]
       [--prediction-column C] [--order random|sequential] [--seed N] [--collector URL] [--token T]

Posts rows of FILE (a header, one column per feature) as NDJSON predictions of
MODEL to the collector's /api/v1/predictions at R records per second, until
--duration has passed or it is interrupted. Rows are drawn at random by
default (files sorted by time would look like drift); --order sequential sends
them in file order, cycling. --prediction-column names the column sent as the
prediction (default: a column named prediction, if any). --version defaults to
MODEL's production version in the registry. --token (default $MLECTL_TOKEN)
is sent as a bearer token: a collector with ingest_auth: token needs one of
role ingest or higher.
`

func runLoadgen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(stdout, loadgenUsage)
		return nil
	}
	fs, mc := newMetaFlags("loadgen", stderr)
	rate := fs.Float64("rate", 0, "records per second")
	csvFile := fs.String("from-csv", "", "CSV file of feature rows")
	version := fs.String("version", "", "model version (default: the production version in the registry)")
	duration := fs.Duration("duration", 0, "stop after this long (default: until interrupted)")
	predCol := fs.String("prediction-column", "", "column sent as the prediction")
	order := fs.String("order", "random", "random or sequential")
	seed := fs.Uint64("seed", 1, "seed of the random row order")
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("want exactly one MODEL, got %d arguments\n%s", len(pos), loadgenUsage)
	case !(*rate > 0) || *rate > 1e6:
		return usagef("--rate must be between 0 and 1000000 records per second, not %g", *rate)
	case *csvFile == "":
		return usagef("--from-csv is required")
	case *duration < 0:
		return usagef("--duration must be positive")
	case *order != "random" && *order != "sequential":
		return usagef("--order must be random or sequential, not %q", *order)
	}
	base, err := collectorBase(mc.collector)
	if err != nil {
		return err
	}
	rows, err := loadgen.ReadCSVFile(*csvFile, *predCol)
	if err != nil {
		return usagef("--from-csv: %v", err)
	}
	if *version == "" {
		cl, err := newCLIClient(base, mc.token)
		if err != nil {
			return usagef("--collector: %v", err)
		}
		st, err := cl.Model(ctx, pos[0])
		var ae *client.APIError
		switch {
		case errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound, err == nil && st.Production == "":
			return usagef("--version is required: the registry names no production version of %s", pos[0])
		case err != nil:
			// Not the operator's input: the collector is down or refused.
			return fmt.Errorf("--version not given and the production version of %s could not be read from the registry at %s: %w", pos[0], base, err)
		}
		*version = st.Production
	}
	g, err := loadgen.New(rows, loadgen.Options{
		Collector: base, Token: mc.token, Model: pos[0], Version: *version, Rate: *rate,
		Sequential: *order == "sequential", Seed: *seed,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return usagef("%v", err)
	}
	fmt.Fprintf(stderr, "loadgen: %d rows of %s → %s %s/%s at %g/s\n", rows.Len(), *csvFile, base, pos[0], *version, *rate)
	start := time.Now()
	runErr := g.Run(ctx, *duration)
	st := g.Stats()
	fmt.Fprintf(stdout, "sent %d predictions in %d requests over %s: %d accepted, %d refused\n",
		st.Sent, st.Batches, time.Since(start).Round(time.Second), st.Accepted, st.Failed)
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	if st.Failed > 0 && st.Accepted == 0 {
		return fmt.Errorf("the collector accepted none of %d predictions", st.Sent)
	}
	return nil
}
