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
	"strings"
	"syscall"
)

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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs mlectl with args (without the program name) and returns its exit
// status: 0, 1 for a failure, 2 for bad input (see exitStatus).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCommand(stdout, stderr)
	return exitStatus(ctx, root, args, stderr)
}
