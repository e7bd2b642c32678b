package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/mlectl/mlectl/demo"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:9710", "address of the in-process collector")
	dataDir := fs.String("data-dir", "", "badger directory (default: a temporary directory removed on exit)")
	incident := fs.Duration("incident-after", time.Minute, "when the staged incident (a feature shift on the demand model) starts")
	headless := fs.Bool("headless", false, "run the collector and traffic without the console (for scripts and a second terminal)")
	ascii := fs.Bool("ascii", false, "console: no colour, 7-bit characters only (for old terminals and SSH)")
	readOnly := fs.Bool("read-only", false, "console: hide dangerous actions (rollback, promote, injection)")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// The console's first frame does not wait for the simulated history:
	// views fill in as it lands.
	d, err := demo.Start(ctx, demo.Options{Listen: *listen, DataDir: *dataDir, IncidentAfter: *incident, Logger: logger,
		BackfillInBackground: !*headless})
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintf(stdout, "mlectl demo: collector on %s; incident (demand model, feature temp +3σ) at %s\n",
		d.URL, d.IncidentAt.UTC().Format(time.TimeOnly))
	if *headless {
		fmt.Fprintln(stdout, "headless: press Ctrl-C to stop")
		<-ctx.Done()
		return nil
	}
	var consoleArgs []string
	if *ascii {
		consoleArgs = append(consoleArgs, "--ascii")
	}
	if *readOnly {
		consoleArgs = append(consoleArgs, "--read-only")
	}
	return runConsoleFor(ctx, d, consoleArgs, stdout, stderr)
}
