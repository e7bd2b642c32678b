package tui

import (
	"context"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"
)

// MaxFPS caps redraws; the console's data changes every few seconds, so a
// higher rate would only burn CPU over SSH.
const MaxFPS = 30

// Run opens the console full-screen and blocks until the user quits or ctx
// ends. Extra options (input/output for tests or SSH) are appended.
func Run(ctx context.Context, cfg Config, opts ...tea.ProgramOption) error {
	m := New(ctx, cfg)
	base := []tea.ProgramOption{tea.WithAltScreen(), tea.WithFPS(MaxFPS), tea.WithContext(ctx)}
	p := tea.NewProgram(m, append(base, opts...)...)
	_, err := p.Run()
	m.cancel()
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("console: %w", err)
	}
	return nil
}
