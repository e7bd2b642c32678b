package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/internal/timeparse"
	"github.com/mlectl/mlectl/timeline"
)

func runTimeline(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "export" {
		return usagef("usage: mlectl timeline export [--model M] --from T [--to T] [--format md|json] [-o FILE]")
	}
	fs, mc := newMetaFlags("timeline export", stderr)
	model := fs.String("model", "", "only events of this model (and global ones)")
	fromS := fs.String("from", "", "window start (required): "+timeparse.Formats)
	toS := fs.String("to", "now", "window end: "+timeparse.Formats)
	format := fs.String("format", "md", "md (postmortem draft) or json")
	out := fs.String("o", "", "write to FILE instead of stdout")
	pos, err := metaParse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("timeline export takes no positional arguments, got %q", pos)
	}
	now := time.Now().UTC()
	if *fromS == "" {
		return usagef("--from is required")
	}
	from, to, err := timeparse.Range(*fromS, *toS, now, time.Time{}, now)
	if err != nil {
		return usagef("--%v", err)
	}
	if *format != "md" && *format != "json" {
		return usagef("--format %q must be md or json", *format)
	}
	cl, err := mc.client()
	if err != nil {
		return err
	}
	evs, err := cl.Events(ctx, client.EventFilter{Model: *model, From: from, To: to, Limit: events.DefaultLimit})
	if err != nil {
		return refusedAsUsage(err) // --model nosuch: 404 naming it, exit 2
	}
	if len(evs) >= events.DefaultLimit {
		fmt.Fprintf(stderr, "warning: the window holds more than %d events; the timeline is truncated — narrow --from/--to\n", events.DefaultLimit)
	}
	r := timeline.Build(*model, from, to, evs)
	r.GeneratedAt = now
	if *out == "" {
		b, err := r.Export(*format)
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}
	path, err := filepath.Abs(*out)
	if err != nil {
		return usagef("-o: %v", err)
	}
	if err := r.WriteFile(path, *format); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s (%d events, %d milestones)\n", *out, len(r.Events), len(r.Milestones))
	return nil
}
