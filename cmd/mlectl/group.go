package main

import (
	"fmt"
	"io"
)

// groupHelp answers a command group's body called with no subcommand or
// with -h, --help or help: it prints usage to stdout and reports done, with
// a usage error naming the subcommands (want) when there was none.
func groupHelp(args []string, stdout io.Writer, usage, want string) (done bool, err error) {
	if len(args) > 0 && args[0] != "-h" && args[0] != "--help" && args[0] != "help" {
		return false, nil
	}
	fmt.Fprint(stdout, usage)
	if len(args) == 0 {
		return true, usagef("missing subcommand (want: %s)", want)
	}
	return true, nil
}
