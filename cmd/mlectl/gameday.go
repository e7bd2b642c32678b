package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/gameday"
	"github.com/mlectl/mlectl/gameday/scenario"
)

const gamedayUsage = `usage: mlectl gameday inject MODEL --feature F --kind K --magnitude X --duration D [--version V]
       mlectl gameday list [--json]
       mlectl gameday stop ID
       mlectl gameday run SCENARIO.yaml [-o md|json] [--report FILE]

inject makes the collector rewrite MODEL's incoming predictions for the
duration and mark them injected (excluded from live quality and from
exports with injected=exclude). Kinds: shift (feature += X standard
deviations of its baseline), scale (feature *= X), nulls (a fraction X of
records get a null feature), swap (a fraction X get another category),
latency (latency_ms *= X), errors (a fraction X get status error); latency
and errors take no --feature. Start and stop are in the event log.

run plays a scripted exercise (see examples/gameday-temp-shift.yaml) and
prints a report: time to detect per expectation, alerts fired, actions
taken, pass/fail. It exits 1 when an expectation fails.
`

func runGameday(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, gamedayUsage)
		if len(args) == 0 {
			return usagef("missing subcommand\n%s", gamedayUsage)
		}
		return nil
	}
	switch args[0] {
	case "inject":
		return gamedayInject(ctx, args[1:], stdout, stderr)
	case "list":
		return gamedayList(ctx, args[1:], stdout, stderr)
	case "stop":
		return gamedayStop(ctx, args[1:], stdout, stderr)
	case "run":
		return gamedayRun(ctx, args[1:], stdout, stderr)
	}
	return usagef("unknown gameday subcommand %q (inject, list, stop, run)\n%s", args[0], gamedayUsage)
}

func gamedayClient(mc *metaCLI) (*client.Client, error) {
	if _, err := collectorBase(mc.collector); err != nil {
		return nil, err
	}
	cl, err := newCLIClient(mc.collector, mc.token)
	if err != nil {
		return nil, usagef("--collector: %v", err)
	}
	return cl, nil
}

// gamedayError makes a 4xx answer of the collector a usage error (exit 2).
func gamedayError(err error) error {
	var ae *client.APIError
	if errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500 && ae.StatusCode != 404 {
		return usagef("%v", err)
	}
	return err
}

// refusedAsUsage makes the collector's refusal of what was asked a usage
// error (exit 2): a bad request (400, 422) or an unknown model or feature
// (404 in the API's envelope). A bare 404 (the collector does not serve
// that API) and refused access (401, 403) stay failures (exit 1).
func refusedAsUsage(err error) error {
	var ae *client.APIError
	if !errors.As(err, &ae) {
		return err
	}
	switch {
	case ae.StatusCode == http.StatusBadRequest, ae.StatusCode == http.StatusUnprocessableEntity,
		ae.StatusCode == http.StatusNotFound && ae.Type != "":
		return usagef("%v", err)
	}
	return err
}

func gamedayInject(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, mc := newMetaFlags("gameday inject", stderr)
	feature := fs.String("feature", "", "feature to change (not for latency and errors)")
	kind := fs.String("kind", "", "shift, scale, nulls, swap, latency or errors")
	magnitude := fs.Float64("magnitude", 0, "σ for shift, factor for scale and latency, fraction 0..1 for nulls, swap and errors")
	duration := fs.String("duration", "", "how long, such as 5m")
	version := fs.String("version", "", "only this model version (default: every version)")
	seed := fs.Uint64("seed", 0, "seed of the fraction draws (default: from the injection id)")
	asJSON := fs.Bool("json", false, "print the injection as JSON")
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one MODEL, got %d arguments\n%s", len(pos), gamedayUsage)
	}
	magSet := false
	fs.Visit(func(f *flag.Flag) { magSet = magSet || f.Name == "magnitude" })
	if !magSet {
		return usagef("--magnitude is required")
	}
	if *duration == "" {
		return usagef("--duration is required, such as 5m")
	}
	d, err := gameday.ParseDuration(*duration)
	if err != nil {
		return usagef("--duration: %v", err)
	}
	spec := gameday.Spec{Model: pos[0], Version: *version, Feature: *feature, Kind: gameday.Kind(*kind), Magnitude: *magnitude, Duration: d, Seed: *seed}
	if err := spec.Validate(); err != nil {
		var fe *gameday.FieldError
		if errors.As(err, &fe) && fe.Field != "model" {
			return usagef("--%s: %s", fe.Field, fe.Msg)
		}
		return usagef("%v", err)
	}
	cl, err := gamedayClient(mc)
	if err != nil {
		return err
	}
	inj, err := cl.StartInjection(ctx, client.InjectionRequest{Model: spec.Model, Version: spec.Version, Feature: spec.Feature, Kind: string(spec.Kind),
		Magnitude: *magnitude, Duration: *duration, Seed: spec.Seed})
	if err != nil {
		return refusedAsUsage(gamedayError(err)) // an unknown model or feature: 404, exit 2
	}
	if *asJSON {
		return printJSON(stdout, inj)
	}
	fmt.Fprintf(stdout, "injection %s started: %s on %s until %s UTC (stop it with: mlectl gameday stop %s)\n",
		inj.ID, describeInjection(inj), inj.Model, inj.EndsAt.UTC().Format("15:04:05"), inj.ID)
	return nil
}

func describeInjection(inj client.Injection) string {
	switch gameday.Kind(inj.Kind) {
	case gameday.KindShift:
		return fmt.Sprintf("shift %s by %gσ", inj.Feature, inj.Magnitude)
	case gameday.KindScale:
		return fmt.Sprintf("scale %s ×%g", inj.Feature, inj.Magnitude)
	case gameday.KindNulls:
		return fmt.Sprintf("null %s in %g%%", inj.Feature, 100*inj.Magnitude)
	case gameday.KindSwap:
		return fmt.Sprintf("swap %s in %g%%", inj.Feature, 100*inj.Magnitude)
	case gameday.KindLatency:
		return fmt.Sprintf("latency ×%g", inj.Magnitude)
	case gameday.KindErrors:
		return fmt.Sprintf("errors in %g%%", 100*inj.Magnitude)
	}
	return string(inj.Kind)
}

func gamedayList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, mc := newMetaFlags("gameday list", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("gameday list takes no arguments, got %q", pos)
	}
	cl, err := gamedayClient(mc)
	if err != nil {
		return err
	}
	list, err := cl.Injections(ctx)
	if err != nil {
		return gamedayError(err)
	}
	if *asJSON {
		return printJSON(stdout, list)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMODEL\tVERSION\tWHAT\tSTARTED\tENDS\tSTATE\tRECORDS")
	for _, in := range list {
		state := "active"
		ends := in.EndsAt.UTC().Format("15:04:05")
		if !in.Active {
			state = "ended"
			// Stopped before its end, as the console shows it: the
			// planned end never happened.
			if in.StoppedAt != nil && in.StoppedAt.Before(in.EndsAt) {
				ends = "stopped " + in.StoppedAt.UTC().Format("15:04:05")
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", in.ID, in.Model, dash(in.Version), describeInjection(in),
			in.StartedAt.UTC().Format("2006-01-02 15:04:05"), ends, state, in.Records)
	}
	return tw.Flush()
}

func gamedayStop(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, mc := newMetaFlags("gameday stop", stderr)
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one injection ID, got %d arguments", len(pos))
	}
	cl, err := gamedayClient(mc)
	if err != nil {
		return err
	}
	inj, err := cl.StopInjection(ctx, pos[0])
	if err != nil {
		return gamedayError(err)
	}
	fmt.Fprintf(stdout, "injection %s stopped after %d records\n", inj.ID, inj.Records)
	return nil
}

func gamedayRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, mc := newMetaFlags("gameday run", stderr)
	format := fs.String("o", "md", "report format: md or json")
	reportFile := fs.String("report", "", "also write the report to this file")
	poll := fs.Duration("poll", 0, "how often alerts are read (default: the scenario's poll, else 5s)")
	verbose := fs.Bool("v", false, "log each step to stderr")
	collectorSet := false
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) { collectorSet = collectorSet || f.Name == "collector" })
	if len(pos) != 1 {
		return usagef("want exactly one SCENARIO.yaml, got %d arguments\n%s", len(pos), gamedayUsage)
	}
	if *format != "md" && *format != "json" {
		return usagef("-o must be md or json, not %q", *format)
	}
	if *poll < 0 || (*poll > 0 && *poll < scenario.MinPoll) {
		return usagef("--poll must be at least %s (each poll reads the collector's alerts), not %s", scenario.MinPoll, *poll)
	}
	sc, err := scenario.Load(pos[0])
	if err != nil {
		return usagef("%v", err)
	}
	// --collector wins, then the scenario's collector, then the default.
	base := sc.Collector
	if collectorSet || base == "" {
		base = mc.collector
	}
	if _, err := collectorBase(base); err != nil {
		return err
	}
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	r := &scenario.Runner{Collector: base, Token: mc.token, Poll: *poll, Logger: logger}
	rep, runErr := r.Run(ctx, sc)
	if rep == nil {
		return gamedayError(runErr)
	}
	var sb strings.Builder
	if *format == "json" {
		err = rep.WriteJSON(&sb)
	} else {
		err = rep.WriteMarkdown(&sb)
	}
	if err != nil {
		return err
	}
	if _, err := io.WriteString(stdout, sb.String()); err != nil {
		return err
	}
	if *reportFile != "" {
		if err := os.WriteFile(*reportFile, []byte(sb.String()), 0o644); err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
	}
	if runErr != nil {
		return fmt.Errorf("game day stopped early: %w", runErr)
	}
	if !rep.Passed {
		failed := 0
		for _, e := range rep.Expectations {
			if !e.Passed {
				failed++
			}
		}
		return fmt.Errorf("game day failed: %d of %d expectations not met (took %s)", failed, len(rep.Expectations), rep.Ended.Sub(rep.Started).Round(time.Second))
	}
	return nil
}
