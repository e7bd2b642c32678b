package styles

import (
	"github.com/charmbracelet/bubbles/table"
	"github.com/charmbracelet/lipgloss"
)

// Styles is the palette every view renders with.
type Styles struct {
	Renderer *lipgloss.Renderer

	Header      lipgloss.Style // top bar
	Crumb       lipgloss.Style // breadcrumb segment
	CrumbActive lipgloss.Style // last breadcrumb segment
	StatusOK    lipgloss.Style
	StatusBad   lipgloss.Style
	Muted       lipgloss.Style
	Error       lipgloss.Style
	Warn        lipgloss.Style
	Firing      lipgloss.Style
	Pending     lipgloss.Style
	Title       lipgloss.Style
	Prompt      lipgloss.Style

	Table table.Styles
}

// New builds the palette for renderer r.
func New(r *lipgloss.Renderer) Styles {
	accent := lipgloss.AdaptiveColor{Light: "#5A56E0", Dark: "#7571F9"}
	red := lipgloss.AdaptiveColor{Light: "#D70000", Dark: "#FF5F5F"}
	amber := lipgloss.AdaptiveColor{Light: "#AF5F00", Dark: "#FFAF00"}
	green := lipgloss.AdaptiveColor{Light: "#008700", Dark: "#5FD75F"}
	grey := lipgloss.AdaptiveColor{Light: "#8A8A8A", Dark: "#767676"}

	s := Styles{Renderer: r}
	s.Header = r.NewStyle().Bold(true)
	s.Crumb = r.NewStyle().Foreground(grey)
	s.CrumbActive = r.NewStyle().Foreground(accent).Bold(true)
	s.StatusOK = r.NewStyle().Foreground(green)
	s.StatusBad = r.NewStyle().Foreground(red).Bold(true)
	s.Muted = r.NewStyle().Foreground(grey)
	s.Error = r.NewStyle().Foreground(red)
	s.Warn = r.NewStyle().Foreground(amber)
	s.Firing = r.NewStyle().Foreground(red).Bold(true)
	s.Pending = r.NewStyle().Foreground(amber)
	s.Title = r.NewStyle().Bold(true).Foreground(accent)
	s.Prompt = r.NewStyle().Foreground(accent)

	s.Table = table.Styles{
		Header:   r.NewStyle().Bold(true).Padding(0, 1),
		Cell:     r.NewStyle().Padding(0, 1),
		Selected: r.NewStyle().Reverse(true),
	}
	return s
}
