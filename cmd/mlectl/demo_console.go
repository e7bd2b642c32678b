package main

import (
	"io"
	"os"

	"github.com/charmbracelet/x/term"
)

// isTerminal reports whether w is a terminal: without one (a script, a
// pipe) the demo runs headless instead of opening the console.
func isTerminal(w io.Writer) bool {
	out, ok := w.(*os.File)
	return ok && term.IsTerminal(out.Fd())
}
