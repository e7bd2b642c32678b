package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/x/term"

	"github.com/mlectl/mlectl/demo"
)

// runConsoleFor opens the console on a running demo. Without a terminal on
// stdout (a script, a pipe) the demo keeps running headless instead.
func runConsoleFor(ctx context.Context, d *demo.Demo, consoleArgs []string, stdout, stderr io.Writer) error {
	if out, ok := stdout.(*os.File); !ok || !term.IsTerminal(out.Fd()) {
		fmt.Fprintf(stdout, "no terminal on stdout: running headless; open the console with: mlectl --collector %s\n", d.URL)
		<-ctx.Done()
		return nil
	}
	return runConsole(ctx, append([]string{"--collector", d.URL}, consoleArgs...), stdout, stderr)
}
