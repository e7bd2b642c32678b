package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/registry"
)

func runRollback(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, mc := newMetaFlags("rollback", stderr)
	to := fs.String("to", "", "version to roll back to (default: the previous production version)")
	reason := fs.String("reason", "", "why (required; recorded in the event log and the postmortem)")
	dry := fs.Bool("dry-run", false, "run the pre-checks and show the plan without acting")
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: mlectl rollback MODEL [--to VERSION] --reason \"...\" [--dry-run]")
	}
	if *reason == "" && !*dry {
		return usagef("--reason is required for a rollback")
	}
	return doAction(ctx, mc, registry.ActionRequest{Action: registry.ActionRollback, Model: pos[0], Version: *to, Reason: *reason, DryRun: *dry}, stdout)
}

func runPromote(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, mc := newMetaFlags("promote", stderr)
	reason := fs.String("reason", "", "why (recorded in the event log)")
	dry := fs.Bool("dry-run", false, "run the pre-checks and show the plan without acting")
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("usage: mlectl promote MODEL VERSION [--dry-run]")
	}
	return doAction(ctx, mc, registry.ActionRequest{Action: registry.ActionPromote, Model: pos[0], Version: pos[1], Reason: *reason, DryRun: *dry}, stdout)
}

func runSetTraffic(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, mc := newMetaFlags("set-traffic", stderr)
	reason := fs.String("reason", "", "why (recorded in the event log)")
	dry := fs.Bool("dry-run", false, "run the pre-checks and show the plan without acting")
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 3 {
		return usagef("usage: mlectl set-traffic MODEL VERSION PERCENT [--dry-run]")
	}
	pct, err := strconv.ParseFloat(pos[2], 64)
	if err != nil || math.IsNaN(pct) || pct < 0 || pct >= 100 {
		return usagef("PERCENT %q must be a number in [0, 100); use promote to send all traffic", pos[2])
	}
	return doAction(ctx, mc, registry.ActionRequest{Action: registry.ActionSetTraffic, Model: pos[0], Version: pos[1], TrafficPercent: pct, Reason: *reason, DryRun: *dry}, stdout)
}

func doAction(ctx context.Context, mc *metaCLI, req registry.ActionRequest, stdout io.Writer) error {
	cl, err := mc.client()
	if err != nil {
		return err
	}
	res, err := cl.Act(ctx, req)
	if err != nil {
		// An unknown model or --to version, or a malformed request, is a
		// usage error (exit 2); refused pre-checks and conflicts stay
		// failures (exit 1).
		var ae *client.APIError
		if errors.As(err, &ae) && (ae.StatusCode == http.StatusBadRequest || (ae.StatusCode == http.StatusNotFound && ae.Type != "")) {
			return usagef("%v", err)
		}
		return err
	}
	printActionResult(stdout, res)
	return nil
}

func printActionResult(w io.Writer, res registry.ActionResult) {
	if res.DryRun {
		fmt.Fprintf(w, "DRY RUN: %s %s would go %s → %s through the %s actuator\n", res.Action, res.Model, dash(res.FromVersion), res.ToVersion, res.Actuator)
	} else {
		fmt.Fprintf(w, "%s %s: %s → %s done through the %s actuator (revision %d)\n", res.Action, res.Model, dash(res.FromVersion), res.ToVersion, res.Actuator, res.Revision)
	}
	for _, c := range res.Checks {
		fmt.Fprintf(w, "  ✓ %s\n", c)
	}
	for _, c := range res.Changes {
		fmt.Fprintf(w, "  %s: %s %.4g%% → %s %.4g%%\n", c.Version, c.FromStage, c.FromTraffic, c.ToStage, c.ToTraffic)
	}
}
