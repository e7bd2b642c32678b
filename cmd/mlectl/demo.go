package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
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
	sshAddr := fs.String("ssh", "", "also serve the console over SSH on this address (e.g. :2222), with a generated demo key printed at start")
	if err := describeFlags(fs, args); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts := demo.Options{Listen: *listen, DataDir: *dataDir, IncidentAfter: *incident, Logger: logger}
	var sshDemo *demoSSH
	if *sshAddr != "" {
		var err error
		if sshDemo, err = prepareDemoSSH(); err != nil {
			return err
		}
		defer func() {
			if err := sshDemo.close(); err != nil {
				logger.Warn("demo --ssh shutdown", "err", err)
			}
		}()
		opts.Tokens = append(opts.Tokens, sshDemo.token)
	}
	if !*headless && isTerminal(stdout) {
		var consoleArgs []string
		if *ascii {
			consoleArgs = append(consoleArgs, "--ascii")
		}
		if *readOnly {
			consoleArgs = append(consoleArgs, "--read-only")
		}
		l, err := net.Listen("tcp", *listen)
		if err != nil {
			return fmt.Errorf("demo: listen on %s: %w", *listen, err)
		}
		fmt.Fprintf(stdout, "mlectl demo: collector on http://%s; incident (demand model, feature temp +3σ) at about %s\n",
			l.Addr(), time.Now().Add(*incident).UTC().Format(time.TimeOnly))
		if sshDemo != nil {
			if err := sshDemo.serve(*sshAddr, "http://"+l.Addr().String(), stdout, logger); err != nil {
				_ = l.Close()
				return err
			}
		}
		return runDemoConsole(ctx, l, opts, func(ctx context.Context, url string) error {
			return runConsole(ctx, append([]string{"--collector", url}, consoleArgs...), stdout, stderr)
		})
	}
	d, err := demo.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintf(stdout, "mlectl demo: collector on %s; incident (demand model, feature temp +3σ) at %s\n",
		d.URL, d.IncidentAt.UTC().Format(time.TimeOnly))
	if sshDemo != nil {
		if err := sshDemo.serve(*sshAddr, d.URL, stdout, logger); err != nil {
			return err
		}
		defer func() { _ = sshDemo.stop() }() // before d.Close
	}
	if *headless {
		fmt.Fprintln(stdout, "headless: press Ctrl-C to stop")
	} else {
		fmt.Fprintf(stdout, "no terminal on stdout: running headless; open the console with: mlectl --collector %s\n", d.URL)
	}
	<-ctx.Done()
	return nil
}

// runDemoConsole opens the console without waiting for the demo: the
// listener is already open, so the console starts at once against it while
// the storage, registry and rules come up behind it (its first requests
// wait in the accept queue) and the simulated history is written in the
// background. The console's end ends the demo; a demo that fails to start
// ends the console with its error.
func runDemoConsole(ctx context.Context, l net.Listener, opts demo.Options, console func(ctx context.Context, url string) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts.Listener, opts.BackfillInBackground = l, true
	type started struct {
		d   *demo.Demo
		err error
	}
	up := make(chan started, 1)
	go func() {
		d, err := demo.Start(ctx, opts)
		if err != nil {
			_ = l.Close()
		}
		up <- started{d, err}
	}()
	quit := make(chan error, 1)
	go func() { quit <- console(ctx, "http://"+l.Addr().String()) }()
	select {
	case s := <-up:
		if s.err != nil {
			cancel()
			<-quit
			return s.err
		}
		defer s.d.Close()
		return <-quit
	case err := <-quit:
		cancel()
		if s := <-up; s.d != nil {
			_ = s.d.Close()
		}
		return err
	}
}
