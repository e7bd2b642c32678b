// Command mlectl is the on-call console for production ML models: run it
// without arguments for the interactive console, `mlectl demo` for a
// self-contained demo, or one of the subcommands below from scripts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one CLI subcommand. run returns a usageError for bad input (exit
// status 2) and any other error for failures (exit status 1).
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// usageError marks an error caused by how the command was called.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{msg: fmt.Sprintf(format, a...)} }

// errHelpShown ends a command whose --help printed its usage: exit 0.
var errHelpShown = errors.New("help shown")

// helpRequested reports whether err ends a command because -h/--help was
// asked for (the flag package has printed the usage): not a failure.
func helpRequested(err error) bool {
	var ue usageError
	return errors.Is(err, errHelpShown) || errors.Is(err, flag.ErrHelp) ||
		(errors.As(err, &ue) && strings.HasPrefix(ue.msg, flag.ErrHelp.Error()))
}

func commands() map[string]command {
	return map[string]command{
		"alerts":      {summary: "list, acknowledge and silence alerts (alerts list|ack ID|silence|silences|expire ID)", run: runAlerts},
		"console":     {summary: "open the interactive console (the default without a command)", run: runConsole},
		"models":      {summary: "list and show registered models (models list|show|set)", run: runModels},
		"versions":    {summary: "register and list model versions (versions register|list|archive)", run: runVersions},
		"rollback":    {summary: "roll a model's production back to the previous or a given version", run: runRollback},
		"promote":     {summary: "promote a shadow or canary version to production", run: runPromote},
		"set-traffic": {summary: "send a percentage of traffic to a canary version", run: runSetTraffic},
		"runbook":     {summary: "list, show and run runbook steps (runbook list|show|run)", run: runRunbook},
		"timeline":    {summary: "export an incident timeline as a postmortem draft (timeline export)", run: runTimeline},
		"annotate":    {summary: "add a note to a model's event log", run: runAnnotate},
		"audit":       {summary: "verify or list the hash-chained audit log (audit verify|list)", run: runAudit},
		"demo":        {summary: "run the product on its embedded default: collector, simulated models, a drift incident", run: runDemo},
		"drift":       {summary: "compare a reference and a current CSV, feature by feature", run: runDrift},
		"logs":        {summary: "export logged predictions of a model (logs export MODEL --from --to --format csv|ndjson)", run: runLogs},
		"baseline":    {summary: "store a model version's training profile (baseline import MODEL VERSION FILE.csv)", run: runBaseline},
		"shadow":      {summary: "score inputs through a model file (shadow score) and compare models", run: runShadow},
		"slo":         {summary: "generate Prometheus SLO recording and burn-rate alert rules (Sloth compatible)", run: runSLO},
		"gameday":     {summary: "inject faults into a model's traffic and run scripted game days (gameday inject|list|stop|run)", run: runGameday},
		"loadgen":     {summary: "post CSV rows as predictions at a fixed rate (loadgen MODEL --rate R --from-csv FILE)", run: runLoadgen},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || isConsoleFlag(args[0]) {
		// No command, or only console flags: open the console.
		args = append([]string{"console"}, args...)
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout, cmds)
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "mlectl: unknown command %q (see mlectl help)\n", args[0])
		return 2
	}
	if err := cmd.run(ctx, args[1:], stdout, stderr); err != nil {
		if helpRequested(err) {
			return 0
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "mlectl %s: %v\n", args[0], err)
			return 2
		}
		fmt.Fprintf(stderr, "mlectl %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func printUsage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: mlectl [COMMAND] [FLAGS]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
}
