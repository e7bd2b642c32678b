// Package styles owns the console's look: one Styles value built from a
// lipgloss renderer, so the colour profile (true colour, ANSI, or plain
// ASCII for --ascii, NO_COLOR and golden tests) is chosen once per program
// and never through lipgloss's global renderer.
package styles
