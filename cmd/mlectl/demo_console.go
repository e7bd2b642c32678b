package main

import (
	"context"
	"fmt"
	"io"

	"github.com/mlectl/mlectl/demo"
)

// runConsoleFor opens the console on a running demo.
func runConsoleFor(ctx context.Context, d *demo.Demo, stdout, _ io.Writer) error {
	fmt.Fprintf(stdout, "open the console in another terminal: mlectl --collector %s (Ctrl-C stops the demo)\n", d.URL)
	<-ctx.Done()
	return nil
}
