package main

import (
	"context"
	"io"
)

func runDrift(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return usagef("not implemented yet")
}
