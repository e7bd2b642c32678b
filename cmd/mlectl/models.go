package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/metaapi"
	"github.com/mlectl/mlectl/registry"
)

// collectorDefaultURL is where mlectl looks for a collector when neither
// --collector nor MLECTL_COLLECTOR says otherwise.
const collectorDefaultURL = "http://127.0.0.1:9710"

// metaCLI holds the flags every metadata command shares.
type metaCLI struct {
	collector string
	token     string
}

func newMetaFlags(name string, stderr io.Writer) (*flag.FlagSet, *metaCLI) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &metaCLI{}
	def := os.Getenv("MLECTL_COLLECTOR")
	if def == "" {
		def = collectorDefaultURL
	}
	fs.StringVar(&c.collector, "collector", def, "collector base URL ($MLECTL_COLLECTOR sets the default)")
	c.token = os.Getenv("MLECTL_TOKEN")
	fs.Var(secretFlag{&c.token}, "token", "API token (default $MLECTL_TOKEN)")
	return fs, c
}

// secretFlag is a string flag whose value --help never prints (the
// default comes from the environment and may be a real token).
type secretFlag struct{ v *string }

func (f secretFlag) String() string { return "" }

// Type names the value in --help ("--token string").
func (f secretFlag) Type() string { return "string" }

func (f secretFlag) Set(s string) error {
	*f.v = s
	return nil
}

// actionTimeout bounds one call of the command line: actions wait for the
// model's actuator, which may take its full timeout.
const actionTimeout = 5 * time.Minute

// newCLIClient is the collector client of the command line: refusals
// worded for a terminal, minutes for actions.
func newCLIClient(base, token string) (*client.Client, error) {
	return client.New(base, client.WithToken(token), client.WithTimeout(actionTimeout), client.WithOperatorErrors())
}

func (c *metaCLI) client() (*client.Client, error) {
	cl, err := newCLIClient(c.collector, c.token)
	if err != nil {
		return nil, usagef("--collector: %v", err)
	}
	return cl, nil
}

// metaParse parses flags that may come before, between or after the
// positional arguments (`mlectl rollback fraud --reason x`), and returns the
// positional ones.
func metaParse(fs *flag.FlagSet, args []string) ([]string, error) {
	if err := describeFlags(fs, args); err != nil {
		return nil, err
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelpShown
			}
			return nil, usagef("%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func runModels(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("usage: mlectl models list|show MODEL|set MODEL [flags]")
	}
	switch args[0] {
	case "list":
		return modelsList(ctx, args[1:], stdout, stderr)
	case "show":
		return modelsShow(ctx, args[1:], stdout, stderr)
	case "set":
		return modelsSet(ctx, args[1:], stdout, stderr)
	}
	return usagef("unknown models subcommand %q (list, show, set)", args[0])
}

func modelsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, mc := newMetaFlags("models list", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("models list takes no arguments, got %q", pos)
	}
	cl, err := mc.client()
	if err != nil {
		return err
	}
	ms, err := cl.Models(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, ms)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	// A collector of a cluster marks each model with the collector that
	// owns it: one more column, only then.
	clustered := slices.ContainsFunc(ms, func(m client.ModelState) bool { return m.Collector != nil })
	header := "MODEL\tPRODUCTION\tCANARY\tSHADOW\tVERSIONS\tACTUATOR\tOWNER"
	if clustered {
		header += "\tCOLLECTOR"
	}
	fmt.Fprintln(tw, header)
	for _, m := range ms {
		var canary, shadow []string
		for _, v := range m.Versions {
			switch v.Stage {
			case registry.StageCanary:
				canary = append(canary, fmt.Sprintf("%s (%.4g%%)", v.Version, v.TrafficPercent))
			case registry.StageShadow:
				shadow = append(shadow, v.Version)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s", m.Name, dash(m.Production), dash(strings.Join(canary, ",")),
			dash(strings.Join(shadow, ",")), len(m.Versions), m.Actuator.Kind, dash(m.Owner))
		if clustered {
			fmt.Fprintf(tw, "\t%s", collectorCell(m.Collector))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// collectorCell names a model's owner collector, "(down)" when the
// collector asked could not reach it.
func collectorCell(c *api.ModelCollector) string {
	switch {
	case c == nil:
		return "-"
	case !c.Reachable:
		return c.Name + " (down)"
	}
	return c.Name
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func modelsShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, mc := newMetaFlags("models show", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: mlectl models show MODEL")
	}
	cl, err := mc.client()
	if err != nil {
		return err
	}
	m, err := cl.Model(ctx, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, m)
	}
	fmt.Fprintf(stdout, "Model:       %s\n", m.Name)
	fmt.Fprintf(stdout, "Owner:       %s\n", dash(m.Owner))
	if m.Description != "" {
		fmt.Fprintf(stdout, "Description: %s\n", m.Description)
	}
	fmt.Fprintf(stdout, "Production:  %s\n", dash(m.Production))
	fmt.Fprintf(stdout, "Actuator:    %s\n", describeActuator(m.Actuator))
	if len(m.ProductionHistory) > 0 {
		fmt.Fprintf(stdout, "Rollback to: %s (then %s)\n", m.ProductionHistory[len(m.ProductionHistory)-1], dash(strings.Join(m.ProductionHistory[:len(m.ProductionHistory)-1], ", ")))
	}
	if la := m.LastAction; la != nil {
		fmt.Fprintf(stdout, "Last action: %s %s → %s by %s at %s", la.Action, dash(la.FromVersion), la.ToVersion, dash(la.Actor), la.At.UTC().Format("2006-01-02 15:04:05Z"))
		if la.Reason != "" {
			fmt.Fprintf(stdout, " (%s)", la.Reason)
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "Revision:    %d (updated %s)\n\n", m.Revision, m.UpdatedAt.UTC().Format("2006-01-02 15:04:05Z"))
	return printVersions(stdout, m.Versions)
}

func describeActuator(a actuator.Config) string {
	switch a.Kind {
	case actuator.KindWebhook:
		return "webhook POST " + a.URL
	case actuator.KindExec:
		return "exec " + strings.Join(a.Command, " ")
	case actuator.KindFile:
		return "file " + a.Path
	}
	return dash(a.Kind)
}

func printVersions(w io.Writer, vs []registry.Version) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tSTAGE\tTRAFFIC\tCREATED\tOWNER\tSHA256\tBASELINE\tMETRICS\tARTIFACT")
	for _, v := range vs {
		var ms []string
		for _, k := range slices.Sorted(maps.Keys(v.Metrics)) {
			ms = append(ms, fmt.Sprintf("%s=%.4g", k, v.Metrics[k]))
		}
		short := v.SHA256
		if len(short) > 12 {
			short = short[:12]
		}
		fmt.Fprintf(tw, "%s\t%s\t%.4g%%\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Version, v.Stage, v.TrafficPercent,
			v.CreatedAt.UTC().Format("2006-01-02 15:04Z"), dash(v.Owner), short, dash(v.Baseline), dash(strings.Join(ms, " ")), v.ArtifactURI)
	}
	return tw.Flush()
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// Type says the flag repeats: --help shows it and completion offers it again.
func (s *stringList) Type() string { return "stringArray" }

func modelsSet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, mc := newMetaFlags("models set", stderr)
	owner := fs.String("owner", "", "owning team")
	desc := fs.String("description", "", "what the model does")
	kind := fs.String("actuator", "", "how actions are carried out: webhook, exec or file")
	url := fs.String("url", "", "webhook URL (actuator webhook)")
	path := fs.String("path", "", "routing file, absolute (actuator file)")
	timeout := fs.Float64("timeout", 0, "actuator timeout in seconds (default 30)")
	var command, headers stringList
	fs.Var(&command, "command", "exec argv element, repeat for each (actuator exec)")
	fs.Var(&headers, "header", "webhook header Name=Value, repeatable")
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: mlectl models set MODEL --actuator webhook|exec|file [--url U|--command C ...|--path P]")
	}
	cfg := actuator.Config{Kind: *kind, URL: *url, Path: *path, Command: command, TimeoutSeconds: *timeout}
	for _, h := range headers {
		k, v, ok := strings.Cut(h, "=")
		if !ok || k == "" {
			return usagef("--header %q must be Name=Value", h)
		}
		if cfg.Headers == nil {
			cfg.Headers = map[string]string{}
		}
		cfg.Headers[k] = v
	}
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	cl, err := mc.client()
	if err != nil {
		return err
	}
	m, err := cl.PutModel(ctx, pos[0], metaapi.ModelSpec{Owner: *owner, Description: *desc, Actuator: cfg})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "model %s saved (revision %d, actuator %s)\n", m.Name, m.Revision, describeActuator(m.Actuator))
	return nil
}
