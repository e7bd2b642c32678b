package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mlectl/mlectl/alerting"
)

// matcherList collects repeated --matcher flags.
type matcherList []string

func (m *matcherList) String() string     { return strings.Join(*m, ", ") }
func (m *matcherList) Set(v string) error { *m = append(*m, v); return nil }

// Type says the flag repeats: --help shows it and completion offers it again.
func (m *matcherList) Type() string { return "stringArray" }

func runAlerts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("usage: mlectl alerts list|ack ID|silence --matcher M --duration D --comment C|silences|expire ID")
	}
	sub := args[0]
	fs, mc := newMetaFlags("alerts "+sub, stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	comment := fs.String("comment", "", "why (ack, silence; required for silence)")
	duration := fs.String("duration", "", "silence duration, e.g. 1h (silence)")
	var matchers matcherList
	fs.Var(&matchers, "matcher", `label matcher, e.g. 'alertname="FeatureDrift"' (silence; repeatable)`)
	pos, err := metaParse(fs, args[1:])
	if err != nil {
		return err
	}
	wantArgs := map[string]int{"list": 0, "silences": 0, "silence": 0, "ack": 1, "expire": 1}
	n, ok := wantArgs[sub]
	if !ok {
		return usagef("unknown alerts subcommand %q (list, ack, silence, silences, expire)", sub)
	}
	if len(pos) != n {
		return usagef("alerts %s takes %d argument(s), got %q", sub, n, pos)
	}
	cl, err := newCLIClient(mc.collector, mc.token)
	if err != nil {
		return usagef("--collector: %v", err)
	}
	switch sub {
	case "list":
		as, err := cl.AlertStates(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, as)
		}
		return printAlerts(stdout, as)
	case "ack":
		ack, err := cl.AckAlert(ctx, pos[0], *comment)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, ack)
		}
		fmt.Fprintf(stdout, "acknowledged %s by %s at %s\n", ack.AlertID, ack.By, ack.At.Format(time.RFC3339))
		return nil
	case "silence":
		if len(matchers) == 0 {
			return usagef("--matcher is required, e.g. --matcher 'alertname=\"FeatureDrift\"'")
		}
		if *duration == "" {
			return usagef("--duration is required, e.g. --duration 1h")
		}
		if d, err := time.ParseDuration(*duration); err != nil || d <= 0 {
			return usagef("--duration %q is not a positive duration (e.g. 30m, 2h)", *duration)
		}
		if strings.TrimSpace(*comment) == "" {
			return usagef("--comment is required: say why the alerts are silenced")
		}
		sil, err := cl.PostSilence(ctx, alerting.SilenceRequest{Matchers: matchers.String(), Duration: *duration, Comment: *comment})
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, sil)
		}
		fmt.Fprintf(stdout, "silence %s: %s until %s by %s\n", sil.ID, sil.Matchers, sil.EndsAt.Format(time.RFC3339), sil.CreatedBy)
		return nil
	case "silences":
		ss, err := cl.Silences(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, ss)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tMATCHERS\tENDS\tBY\tCOMMENT")
		for _, s := range ss {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Status, s.Matchers, s.EndsAt.Format(time.RFC3339), s.CreatedBy, s.Comment)
		}
		return tw.Flush()
	case "expire":
		sil, err := cl.ExpireSilence(ctx, pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "silence %s expired at %s\n", sil.ID, sil.EndsAt.Format(time.RFC3339))
		return nil
	}
	return nil
}

func printAlerts(w io.Writer, as []alerting.ActiveAlert) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	// A cluster's list is every collector's: say whose each alert is.
	clustered := false
	for _, a := range as {
		clustered = clustered || a.Collector != nil
	}
	head := "ID\tALERT\tSTATE\tSINCE\tMODEL\tSEVERITY\tACK\tSILENCED\tLABELS"
	if clustered {
		head = "COLLECTOR\t" + head
	}
	fmt.Fprintln(tw, head)
	for _, a := range as {
		if clustered {
			c := "-"
			if a.Collector != nil {
				c = a.Collector.Name
				if !a.Collector.Reachable {
					c += " (down)"
				}
			}
			fmt.Fprintf(tw, "%s\t", c)
		}
		ack := "-"
		if a.Ack != nil {
			ack = a.Ack.By
		}
		sil := "-"
		if len(a.SilencedBy) > 0 {
			sil = strings.Join(a.SilencedBy, ",")
		}
		var extra []string
		for k, v := range a.Labels {
			if k != "alertname" && k != "model" && k != "severity" {
				extra = append(extra, fmt.Sprintf("%s=%q", k, v))
			}
		}
		sort.Strings(extra)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Name, a.State, a.ActiveAt.Format(time.RFC3339),
			dash(a.Labels["model"]), dash(a.Labels["severity"]), ack, sil, strings.Join(extra, " "))
	}
	return tw.Flush()
}
