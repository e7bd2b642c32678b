package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
)

// errAuditBroken makes `mlectl audit verify` exit 1 on a broken chain.
var errAuditBroken = errors.New("audit log verification FAILED")

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("usage: mlectl audit verify|list")
	}
	fs, mc := newMetaFlags("audit "+args[0], stderr)
	from := fs.Uint64("from", 1, "first sequence number (list)")
	limit := fs.Int("limit", 100, "entries to list (list)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := metaParse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("audit %s takes no arguments, got %q", args[0], pos)
	}
	if *limit < 1 {
		return usagef("--limit must be positive")
	}
	cl, err := mc.client()
	if err != nil {
		return err
	}
	switch args[0] {
	case "verify":
		rep, err := cl.VerifyAudit(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			if err := printJSON(stdout, rep); err != nil {
				return err
			}
		} else if rep.OK {
			fmt.Fprintf(stdout, "audit log OK: %d entries, head #%d %s\n", rep.Entries, rep.HeadSeq, rep.HeadHash)
		}
		if !rep.OK {
			return fmt.Errorf("%w at entry %d: %s", errAuditBroken, rep.BadSeq, rep.Problem)
		}
		return nil
	case "list":
		es, err := cl.Audit(ctx, *from, *limit)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(stdout, es)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tROLE\tCALL\tSTATUS\tDETAIL")
		for _, e := range es {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s %s\t%d\t%s\n", e.Seq, e.Time.UTC().Format("2006-01-02 15:04:05Z"), e.Actor, e.Role, e.Method, e.Path, e.Status, e.Detail)
		}
		return tw.Flush()
	}
	return usagef("unknown audit subcommand %q (verify, list)", args[0])
}
