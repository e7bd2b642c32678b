package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/term"
	"github.com/muesli/termenv"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui"
)

const consoleUsage = `usage: mlectl [console] [--collector URL] [--token TOKEN] [--read-only] [--ascii]
                      [--refresh 5s] [--view models]

Opens the interactive console. --collector defaults to $MLECTL_COLLECTOR, else
` + client.DefaultURL + `; --token defaults to $MLECTL_TOKEN. --ascii draws without colour
in 7-bit characters; NO_COLOR only turns colour off. In the console press ? for
keys and : for commands (:models :alerts :query :timeline :runbooks :gameday).
`

// consoleOptions are the console's command-line settings.
type consoleOptions struct {
	collector string
	token     string
	readOnly  bool
	ascii     bool // no colour and 7-bit glyphs
	noColor   bool // no colour (NO_COLOR), glyphs unchanged
	refresh   time.Duration
	start     string
}

func parseConsoleFlags(args []string, getenv func(string) string) (consoleOptions, error) {
	fl := flag.NewFlagSet("console", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	def := getenv("MLECTL_COLLECTOR")
	if def == "" {
		def = client.DefaultURL
	}
	var o consoleOptions
	fl.StringVar(&o.collector, "collector", def, "collector base URL")
	o.token = getenv("MLECTL_TOKEN")
	fl.Var(secretFlag{&o.token}, "token", "bearer token for the collector (default $MLECTL_TOKEN)")
	fl.BoolVar(&o.readOnly, "read-only", false, "hide actions that change collector state")
	fl.BoolVar(&o.ascii, "ascii", false, "no colour, 7-bit drawing")
	fl.DurationVar(&o.refresh, "refresh", tui.DefaultRefresh, "background refresh period")
	fl.StringVar(&o.start, "view", "models", "first view: models, alerts, query, timeline, runbooks, gameday")
	if err := describeFlags(fl, args); err != nil {
		return o, err
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usagef("%v\n%s", err, consoleUsage)
	}
	if fl.NArg() > 0 {
		return o, usagef("unexpected argument %q\n%s", fl.Arg(0), consoleUsage)
	}
	if o.refresh < 500*time.Millisecond {
		return o, usagef("--refresh must be at least 500ms, got %s", o.refresh)
	}
	if _, err := client.New(o.collector); err != nil {
		return o, usagef("--collector: %v", err)
	}
	// https://no-color.org: any non-empty value turns colour off.
	o.noColor = o.ascii || getenv("NO_COLOR") != ""
	return o, nil
}

func runConsole(ctx context.Context, args []string, stdout, _ io.Writer) error {
	o, err := parseConsoleFlags(args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, consoleUsage)
		return nil
	}
	if err != nil {
		return err
	}
	out, ok := stdout.(*os.File)
	if !ok || !term.IsTerminal(out.Fd()) {
		return errors.New("the console needs a terminal on stdout; from scripts use the subcommands (mlectl help)")
	}
	c, err := client.New(o.collector, client.WithToken(o.token))
	if err != nil {
		return usagef("--collector: %v", err)
	}
	r := lipgloss.NewRenderer(out)
	if o.noColor {
		r.SetColorProfile(termenv.Ascii)
		r.SetHasDarkBackground(true) // moot without colour; skips the terminal query
	} else {
		// Ask the terminal for its background now: querying it once the
		// program reads stdin would race with key input.
		r.SetHasDarkBackground(r.HasDarkBackground())
	}
	return tui.Run(ctx, tui.Config{
		API: c, Renderer: r, Refresh: o.refresh, ASCII: o.ascii, ReadOnly: o.readOnly, Start: o.start,
	})
}
