package common

import (
	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
)

// NewInput returns a one-line text input styled for the console: static
// cursor (no blink timer, so goldens are stable), no colour of its own.
func NewInput(c Common, prompt string) textinput.Model {
	r := c.Styles.Renderer
	in := textinput.New()
	in.Prompt = prompt
	in.Cursor.SetMode(cursor.CursorStatic)
	in.Cursor.Style = r.NewStyle().Reverse(true)
	in.Cursor.TextStyle = r.NewStyle()
	in.TextStyle = r.NewStyle()
	in.PromptStyle = c.Styles.Prompt
	in.CharLimit = 512
	return in
}

// Body joins lines into exactly height lines, each cut to width.
func Body(lines []string, width, height int) string {
	out := make([]string, 0, max(height, 0))
	for i := 0; i < len(lines) && i < height; i++ {
		out = append(out, Fit(lines[i], width))
	}
	for len(out) < height {
		out = append(out, "")
	}
	return joinLines(out)
}

func joinLines(ls []string) string {
	n := 0
	for _, l := range ls {
		n += len(l) + 1
	}
	b := make([]byte, 0, n)
	for i, l := range ls {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, l...)
	}
	return string(b)
}
