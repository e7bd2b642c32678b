package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// runFunc is the body of a command: it parses its own flags with Go's flag
// package (flags before, between or after the positional arguments, and the
// single-dash forms README shows, such as `slo generate -o FILE`) and returns
// a usageError for bad input (exit 2) and any other error for a failure
// (exit 1).
//
// cobra finds the command, prints --help (with the examples), and generates
// the shell completions; the body keeps the parsing, so every flag, default,
// message and exit status stays what README documents. cobra learns each
// body's flags by asking it for them (describeFlags), for --help and for
// completion of flag names: the flags are declared once, in the body.
type runFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// describeFlagsArg, passed as the only argument after a command's words,
// makes its body return its flag set (flagsDescribed) instead of running.
const describeFlagsArg = "\x00describe-flags"

// flagsDescribed carries a body's flag set out of it; see describeFlagsArg.
type flagsDescribed struct{ fs *flag.FlagSet }

func (flagsDescribed) Error() string { return "flags described, command not run" }

// describeFlags is called by every body just before it parses args: it
// returns flagsDescribed when args ask for the flag set, else nil.
func describeFlags(fs *flag.FlagSet, args []string) error {
	if len(args) == 1 && args[0] == describeFlagsArg {
		return flagsDescribed{fs: fs}
	}
	return nil
}

// bodyError is an error returned by a command's body, as opposed to one of
// cobra's own (unknown command, bad flag on a command group).
type bodyError struct {
	command string // the top-level command, as in "mlectl models: ..."
	err     error
}

func (e bodyError) Error() string { return e.err.Error() }
func (e bodyError) Unwrap() error { return e.err }

// annotationFlagsFromBody marks a command whose flag set came from its body.
const annotationFlagsFromBody = "mlectl/flags-from-body"

// newLeaf makes the cobra command for one body. words are the arguments the
// body expects before the user's (its subcommand, as in runAlerts("list", ...)).
// The body is asked for its flags here, on every start: it must call
// describeFlags before any work (TestEveryCommandHasHelpWithExamples checks
// that each command got its flags this way).
func newLeaf(c *cobra.Command, run runFunc, words ...string) *cobra.Command {
	c.DisableFlagParsing = true // the body parses; see runFunc
	c.ValidArgsFunction = completeArgs(c.ValidArgsFunction)
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if wantsHelp(args) {
			return cmd.Help()
		}
		err := run(cmd.Context(), append(slices.Clone(words), args...), cmd.OutOrStdout(), cmd.ErrOrStderr())
		if err != nil {
			return bodyError{command: topLevelName(cmd), err: err}
		}
		return nil
	}
	err := run(context.Background(), append(slices.Clone(words), describeFlagsArg), io.Discard, io.Discard)
	var d flagsDescribed
	if errors.As(err, &d) {
		c.Flags().AddGoFlagSet(d.fs)
		hideZeroDefaults(c, d.fs)
		c.Annotations = map[string]string{annotationFlagsFromBody: "yes"}
	}
	return c
}

// newGroup makes a command with subcommands. Arguments that name none of them
// go to the group's body (dispatch), which refuses them with the message
// it always gave (a missing or unknown subcommand, exit 2); flags the
// subcommand would take (`alerts --collector URL mute`) reach it too.
func newGroup(c *cobra.Command, dispatch runFunc, subs ...*cobra.Command) *cobra.Command {
	c.DisableFlagParsing = true
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 && wantsHelp(args[:1]) {
			return cmd.Help()
		}
		err := dispatch(cmd.Context(), args, cmd.OutOrStdout(), cmd.ErrOrStderr())
		if err != nil {
			return bodyError{command: topLevelName(cmd), err: err}
		}
		return nil
	}
	c.AddCommand(subs...)
	return c
}

// hideZeroDefaults keeps --help from printing "(default 0s)" and the like:
// the flag package leaves out a default that is its type's zero value, and
// the flag's usage often says what zero means ("default: until interrupted").
func hideZeroDefaults(c *cobra.Command, fs *flag.FlagSet) {
	fs.VisitAll(func(gf *flag.Flag) {
		t := reflect.TypeOf(gf.Value)
		if t.Kind() != reflect.Pointer {
			return
		}
		zero, ok := reflect.New(t.Elem()).Interface().(flag.Value)
		if ok && zeroString(zero) == gf.DefValue {
			c.Flags().Lookup(gf.Name).DefValue = ""
		}
	})
}

// zeroString is zero.String(), or "" where a zero value cannot say (a
// flag.Value wrapping a nil pointer), as the flag package treats it.
func zeroString(zero flag.Value) (s string) {
	defer func() {
		if recover() != nil {
			s = ""
		}
	}()
	return zero.String()
}

// noCommandWord refuses a root command line with a word that is no flag
// or flag value ("mlectl frobnicate"): the word was meant as a command.
// cobra's own check would miss console flags in Go's single-dash form
// (`mlectl -refresh 2s`) and take their values for commands.
func noCommandWord(cmd *cobra.Command, args []string) error {
	pos := positionalArgs(cmd, args)
	if len(pos) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", pos[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(pos[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, ", "))
	}
	return errors.New(msg)
}

// wantsHelp reports whether args ask for help the way Go's flag package
// understands it (-h, -help, --h, --help before a "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--h", "--help":
			return true
		}
	}
	return false
}

// topLevelName is the name of the command under the root that cmd belongs
// to ("console" for the root itself, which opens the console).
func topLevelName(cmd *cobra.Command) string {
	for cmd.HasParent() && cmd.Parent().HasParent() {
		cmd = cmd.Parent()
	}
	if !cmd.HasParent() {
		return "console"
	}
	return cmd.Name()
}

// exitStatus runs the CLI and maps its outcome to the exit status README
// documents: 0, 1 for a failure, 2 for bad input (a usageError from a
// body, or any error of cobra's: unknown command, bad flag, bad arguments).
func exitStatus(ctx context.Context, root *cobra.Command, args []string, stderr io.Writer) int {
	if args == nil {
		args = []string{} // nil would make cobra read os.Args
	}
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var be bodyError
	if !errors.As(err, &be) {
		fmt.Fprintf(stderr, "mlectl: %v\nRun 'mlectl --help' for usage.\n", err)
		return 2
	}
	if helpRequested(be.err) {
		return 0
	}
	fmt.Fprintf(stderr, "mlectl %s: %v\n", be.command, be.err)
	var ue usageError
	if errors.As(be.err, &ue) {
		return 2
	}
	return 1
}
