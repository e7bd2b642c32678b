package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mlectl/mlectl/events"
)

func runAnnotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, mc := newMetaFlags("annotate", stderr)
	version := fs.String("version", "", "model version the note is about")
	kind := fs.String("kind", string(events.KindAnnotation), "event kind: annotation, ack, incident_resolved, injection")
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || strings.TrimSpace(pos[1]) == "" {
		return usagef("usage: mlectl annotate MODEL \"text\"")
	}
	cl, err := mc.client()
	if err != nil {
		return err
	}
	e, err := cl.PostEvent(ctx, events.Event{Kind: events.Kind(*kind), Model: pos[0], Version: *version, Text: pos[1]})
	if err != nil {
		return refusedAsUsage(err) // an unknown model: 404 naming it, exit 2
	}
	fmt.Fprintf(stdout, "%s recorded for %s at %s by %s (id %s)\n", e.Kind, e.Model, e.Time.UTC().Format("2006-01-02 15:04:05Z"), e.Actor, e.ID)
	return nil
}
