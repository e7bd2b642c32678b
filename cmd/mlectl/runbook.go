package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/runbooks"
)

func runRunbook(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runbookMain(ctx, args, os.Stdin, stdout, stderr)
}

// runbookMain is runRunbook with stdin injectable for tests.
func runbookMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("usage: mlectl runbook list | show ID | run ID --step N [--yes] [--set var=value] [--to VERSION]")
	}
	fs, mc := newMetaFlags("runbook "+args[0], stderr)
	step := fs.Int("step", 0, "step number to run (run)")
	yes := fs.Bool("yes", false, "do not ask for confirmation before a step's action (run)")
	dry := fs.Bool("dry-run", false, "run pre-checks only; change nothing (run)")
	to := fs.String("to", "", "version a rollback step rolls back to, as rollback --to (run; default: the previous production version)")
	var sets stringList
	fs.Var(&sets, "set", "value for a ${var} placeholder, var=value, repeatable (run), e.g. --set model=fraud")
	pos, err := metaParse(fs, args[1:])
	if err != nil {
		return err
	}
	cl, err := mc.client()
	if err != nil {
		return err
	}
	switch args[0] {
	case "list":
		if len(pos) != 0 {
			return usagef("runbook list takes no arguments")
		}
		list, err := cl.Runbooks(ctx, nil)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTITLE\tSTEPS\tALERTS")
		for _, rb := range list {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", rb.ID, rb.Title, rb.Steps, strings.Join(rb.Alerts, " · "))
		}
		return tw.Flush()
	case "show":
		if len(pos) != 1 {
			return usagef("usage: mlectl runbook show ID")
		}
		rb, err := cl.Runbook(ctx, pos[0])
		if err != nil {
			return err
		}
		_, err = io.WriteString(stdout, rb.Markdown())
		return err
	case "run":
		if len(pos) != 1 {
			return usagef("usage: mlectl runbook run ID --step N [--yes] [--set var=value] [--to VERSION]")
		}
		vars := map[string]string{}
		for _, s := range sets {
			k, v, ok := strings.Cut(s, "=")
			if !ok || k == "" {
				return usagef("--set %q must be var=value", s)
			}
			vars[k] = v
		}
		rb, err := cl.Runbook(ctx, pos[0])
		if err != nil {
			return err
		}
		if *step < 1 || *step > len(rb.Steps) {
			return usagef("--step %d: runbook %s has steps 1..%d", *step, rb.ID, len(rb.Steps))
		}
		return runStep(ctx, cl, &rb, *step, stepRun{vars: vars, to: *to, yes: *yes, dry: *dry}, stdin, stdout)
	}
	return usagef("unknown runbook subcommand %q (list, show, run)", args[0])
}

// stepRun is how a step runs: its ${var} values, a rollback's target, and
// whether to skip the prompt or only dry-run.
type stepRun struct {
	vars     map[string]string
	to       string
	yes, dry bool
}

func runStep(ctx context.Context, cl *client.Client, rb *client.Runbook, n int, how stepRun, stdin io.Reader, stdout io.Writer) error {
	vars, yes, dry := how.vars, how.yes, how.dry
	s := rb.Steps[n-1]
	fmt.Fprintf(stdout, "Step %d/%d: %s\n", n, len(rb.Steps), s.Title)
	if s.Text != "" {
		fmt.Fprintf(stdout, "\n%s\n", strings.TrimSpace(s.Text))
	}
	args, missing := s.Expand(vars)
	if s.Action == "" {
		fmt.Fprintln(stdout, "\n(no action: read and carry out by hand)")
		return nil
	}
	if len(missing) > 0 {
		return usagef("step %d (%s) needs --set for: %s", n, s.Action, strings.Join(missing, ", "))
	}
	if how.to != "" {
		if s.Action != runbooks.ActionRollback {
			return usagef("--to: step %d (%s) is not a rollback; only a rollback step takes a target version", n, s.Action)
		}
		args = maps.Clone(args)
		args["to"] = how.to
	}
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(stdout, "\nAction: %s\n", s.Action)
	for _, k := range keys {
		fmt.Fprintf(stdout, "  %s: %s\n", k, args[k])
	}
	// Queries only read; everything else changes production or alerting.
	if s.Action != runbooks.ActionQuery && !yes && !dry {
		fmt.Fprintf(stdout, "\nRun %s now? [y/N] ", s.Action)
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading confirmation: %w", err)
		}
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(stdout, "\naborted: nothing was changed")
			return nil
		}
	}
	res, err := cl.RunStepWith(ctx, rb.ID, n, api.StepBody{Vars: vars, DryRun: dry, To: how.to})
	if err != nil {
		// An unknown --to version is a usage error (exit 2), as rollback --to.
		var ae *client.APIError
		if how.to != "" && errors.As(err, &ae) && (ae.StatusCode == http.StatusBadRequest || (ae.StatusCode == http.StatusNotFound && ae.Type != "")) {
			return usagef("%v", err)
		}
		return err
	}
	fmt.Fprintln(stdout)
	switch {
	case res.Query != "":
		data, err := cl.QueryData(ctx, res.Query)
		if err != nil {
			fmt.Fprintf(stdout, "query: %s\n(could not evaluate it here: %v)\n", res.Query, err)
			return nil
		}
		printQueryResult(stdout, data)
	case res.Result != nil:
		printActionResult(stdout, *res.Result)
	default:
		fmt.Fprintf(stdout, "%s\n", res.Outcome)
	}
	return nil
}

// printQueryResult prints an instant-vector or scalar result one sample a line.
func printQueryResult(w io.Writer, data json.RawMessage) {
	var r struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		fmt.Fprintf(w, "%s\n", data)
		return
	}
	if r.ResultType != "vector" {
		fmt.Fprintf(w, "%s: %s\n", r.ResultType, r.Result)
		return
	}
	var vec []struct {
		Metric map[string]string `json:"metric"`
		Value  [2]any            `json:"value"`
	}
	if err := json.Unmarshal(r.Result, &vec); err != nil {
		fmt.Fprintf(w, "%s\n", r.Result)
		return
	}
	if len(vec) == 0 {
		fmt.Fprintln(w, "(no series)")
	}
	for _, s := range vec {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(s.Metric)) {
			parts = append(parts, fmt.Sprintf("%s=%q", k, s.Metric[k]))
		}
		fmt.Fprintf(w, "{%s}  %v\n", strings.Join(parts, ", "), s.Value[1])
	}
}
