package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/internal/timeparse"
)

const trainingRunsUsage = `Training runs are the training jobs of a model, recorded by the pipeline that
ran them: model, version produced (optional), status (succeeded, failed or
cancelled), start and end, and what the job cost. The collector keeps them
durably and counts them as mle_training_runs_total{model,status} and
mle_training_cost_total{model}. A bad field (negative cost, end before
start, unknown status or model) is refused naming it, exit 2.`

func trainingRunsCommand() *cobra.Command {
	return newGroup(&cobra.Command{
		Use:     "training-runs",
		Short:   "record and list training jobs (training-runs add MODEL|list [MODEL])",
		Long:    trainingRunsUsage,
		Example: "  mlectl training-runs add fraud --version v14 --status succeeded --started -3h --ended -1h --cost 42.5\n  mlectl training-runs list fraud",
	}, runTrainingRuns,
		newLeaf(&cobra.Command{
			Use:               "add MODEL",
			Short:             "record one training job of MODEL",
			Long:              trainingRunsUsage,
			Example:           "  mlectl training-runs add fraud --version v14 --status succeeded --started -3h --ended -1h --cost 42.5\n  mlectl training-runs add fraud --status failed --started 2026-12-06T08:00:00Z --ended 2026-12-06T08:40:00Z --cost 6",
			ValidArgsFunction: completeModel,
		}, runTrainingRuns, "add"),
		newLeaf(&cobra.Command{
			Use:               "list [MODEL]",
			Short:             "print the recorded training jobs, oldest start first",
			Long:              trainingRunsUsage,
			Example:           "  mlectl training-runs list\n  mlectl training-runs list fraud --from -7d --json",
			ValidArgsFunction: completeModel,
		}, runTrainingRuns, "list"),
	)
}

func runTrainingRuns(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("usage: mlectl training-runs add MODEL --status S --started T --ended T [--cost C] [--version V] | list [MODEL]")
	}
	sub := args[0]
	fs, mc := newMetaFlags("training-runs "+sub, stderr)
	var run api.TrainingRun
	var f client.TrainingRunFilter
	var started, ended, from, to string
	asJSON := fs.Bool("json", false, "print JSON (list)")
	switch sub {
	case "add":
		fs.StringVar(&run.Version, "version", "", "the version the run produced (optional)")
		fs.StringVar(&run.Status, "status", "", "succeeded, failed or cancelled (required)")
		fs.StringVar(&started, "started", "", "when the run started (required): "+timeparse.Formats)
		fs.StringVar(&ended, "ended", "", "when the run ended (required): "+timeparse.Formats)
		fs.Float64Var(&run.Cost, "cost", 0, "what the run cost, in the unit the collector's cost: block prices in")
	case "list":
		fs.StringVar(&from, "from", "", "runs started at or after: "+timeparse.Formats)
		fs.StringVar(&to, "to", "", "runs started before: "+timeparse.Formats)
		fs.IntVar(&f.Limit, "limit", 0, "at most this many runs, the newest (default 1000)")
	default:
		if err := describeFlags(fs, args[1:]); err != nil {
			return err
		}
		return usagef("unknown training-runs subcommand %q (add, list)", sub)
	}
	pos, err := metaParse(fs, args[1:])
	if err != nil {
		return err
	}
	now := time.Now()
	parseTime := func(flagName, v string, required bool) (time.Time, error) {
		if v == "" {
			if required {
				return time.Time{}, usagef("--%s is required", flagName)
			}
			return time.Time{}, nil
		}
		t, err := timeparse.Parse(v, now)
		if err != nil {
			return time.Time{}, usagef("--%s: %v", flagName, err)
		}
		return t, nil
	}
	switch sub {
	case "add":
		if len(pos) != 1 {
			return usagef("usage: mlectl training-runs add MODEL --status S --started T --ended T [--cost C] [--version V]")
		}
		run.Model = pos[0]
		if run.Status == "" {
			return usagef("--status is required: succeeded, failed or cancelled")
		}
		if run.Started, err = parseTime("started", started, true); err != nil {
			return err
		}
		if run.Ended, err = parseTime("ended", ended, true); err != nil {
			return err
		}
	case "list":
		if len(pos) > 1 {
			return usagef("usage: mlectl training-runs list [MODEL]")
		}
		if len(pos) == 1 {
			f.Model = pos[0]
		}
		if f.From, err = parseTime("from", from, false); err != nil {
			return err
		}
		if f.To, err = parseTime("to", to, false); err != nil {
			return err
		}
	}
	cl, err := mc.client()
	if err != nil {
		return err
	}
	if sub == "add" {
		stored, err := cl.AddTrainingRun(ctx, run)
		if err != nil {
			return refusedAsUsage(err) // a bad field or unknown model: 400 naming it, exit 2
		}
		fmt.Fprintf(stdout, "training run of %s recorded: %s, %s, cost %s (id %s)\n", stored.Model, stored.Status,
			stored.Ended.Sub(stored.Started), strconv.FormatFloat(stored.Cost, 'f', -1, 64), stored.ID)
		return nil
	}
	runs, err := cl.TrainingRuns(ctx, f)
	if err != nil {
		return refusedAsUsage(err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(runs)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STARTED\tMODEL\tVERSION\tSTATUS\tDURATION\tCOST")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Started.UTC().Format("2006-01-02 15:04Z"), r.Model, orDash(r.Version), r.Status,
			r.Ended.Sub(r.Started), strconv.FormatFloat(r.Cost, 'f', -1, 64))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(runs) == 0 {
		fmt.Fprintln(stdout, strings.TrimSpace("no training runs recorded"))
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
