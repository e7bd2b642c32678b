package common

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/mlectl/mlectl/tui/keys"
)

// Column describes one table column.
type Column struct {
	Title string
	// Width is the column's width; for a Flex column, its minimum.
	Width int
	// Flex columns share the width left over by fixed ones.
	Flex bool
	// MaxWidth caps a Flex column (0: no cap) so wide terminals do not push
	// the numbers far away from the names.
	MaxWidth int
	// Priority decides which columns go first when the terminal is narrow:
	// the highest number is dropped first; 0 is never dropped.
	Priority int
	// Right aligns numbers.
	Right bool
}

// Tone colours one cell.
type Tone uint8

// Tones a cell can take.
const (
	ToneNone Tone = iota
	ToneBad
	ToneWarn
	ToneGood
	ToneMuted
)

// Row is one table row. Key identifies it across refreshes so the cursor
// stays on the same item when rows are re-sorted.
type Row struct {
	Key   string
	Cells []string
	Tones []Tone // optional, parallel to Cells
}

// Table is a keyboard-driven table that renders only the visible window.
// The zero value is not usable; build one with NewTable.
type Table struct {
	c      Common
	nav    keys.Nav
	cols   []Column
	rows   []Row
	empty  string
	cursor int
	offset int
	width  int
	height int // rows area plus the header line

	visible []int // indices of columns that fit
	widths  []int // widths of visible columns
	sb      strings.Builder
}

// NewTable returns a table with the given columns.
func NewTable(c Common, cols []Column) *Table {
	t := &Table{c: c, nav: keys.NewNav(), cols: cols, empty: "no rows"}
	t.layout()
	return t
}

// SetEmpty sets the line shown when there are no rows.
func (t *Table) SetEmpty(msg string) { t.empty = msg }

// SetSize sets the table's outer size; height includes the header line.
func (t *Table) SetSize(width, height int) {
	t.width, t.height = width, height
	t.layout()
	t.clamp()
}

// SetRows replaces the rows, keeping the cursor on the row with the same
// Key when it is still present.
func (t *Table) SetRows(rows []Row) {
	var key string
	if t.cursor >= 0 && t.cursor < len(t.rows) {
		key = t.rows[t.cursor].Key
	}
	t.rows = rows
	if key != "" {
		for i, r := range rows {
			if r.Key == key {
				t.cursor = i
				break
			}
		}
	}
	t.clamp()
}

// Rows returns the current rows.
func (t *Table) Rows() []Row { return t.rows }

// VisibleColumns returns the titles of the columns that fit the width.
func (t *Table) VisibleColumns() []string {
	out := make([]string, len(t.visible))
	for i, ci := range t.visible {
		out[i] = t.cols[ci].Title
	}
	return out
}

// Selected returns the row under the cursor.
func (t *Table) Selected() (Row, bool) {
	if t.cursor < 0 || t.cursor >= len(t.rows) {
		return Row{}, false
	}
	return t.rows[t.cursor], true
}

// Cursor returns the cursor's row index.
func (t *Table) Cursor() int { return t.cursor }

// KeyBindings lists the navigation keys for help.
func (t *Table) KeyBindings() []key.Binding { return t.nav.Bindings()[:6] }

func (t *Table) pageRows() int { return max(1, t.height-1) }

// Update moves the cursor for navigation keys; it reports whether msg was
// consumed.
func (t *Table) Update(msg tea.Msg) bool {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return false
	}
	switch {
	case key.Matches(km, t.nav.Up):
		t.cursor--
	case key.Matches(km, t.nav.Down):
		t.cursor++
	case key.Matches(km, t.nav.PageUp):
		t.cursor -= t.pageRows()
	case key.Matches(km, t.nav.PageDown):
		t.cursor += t.pageRows()
	case key.Matches(km, t.nav.Top):
		t.cursor = 0
	case key.Matches(km, t.nav.Bottom):
		t.cursor = len(t.rows) - 1
	default:
		return false
	}
	t.clamp()
	return true
}

func (t *Table) clamp() {
	t.cursor = min(max(t.cursor, 0), max(len(t.rows)-1, 0))
	page := t.pageRows()
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+page {
		t.offset = t.cursor - page + 1
	}
	t.offset = min(max(t.offset, 0), max(len(t.rows)-page, 0))
}

// layout picks the columns that fit: two cells for the cursor marker, one
// space between columns, low-priority columns dropped until the rest fit.
func (t *Table) layout() {
	keep := make([]bool, len(t.cols))
	for i := range keep {
		keep[i] = true
	}
	need := func() int {
		n, w := 0, 2
		for i, c := range t.cols {
			if keep[i] {
				w += c.Width
				n++
			}
		}
		return w + max(n-1, 0)
	}
	for t.width > 0 && need() > t.width {
		worst := -1
		for i, c := range t.cols {
			if keep[i] && c.Priority > 0 && (worst < 0 || c.Priority > t.cols[worst].Priority) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		keep[worst] = false
	}
	t.visible, t.widths = t.visible[:0], t.widths[:0]
	spare := max(t.width-need(), 0)
	for i, c := range t.cols {
		if !keep[i] {
			continue
		}
		w := c.Width
		if c.Flex {
			extra := spare
			if c.MaxWidth > 0 {
				extra = min(extra, max(c.MaxWidth-w, 0))
			}
			w += extra
			spare -= extra
		}
		t.visible = append(t.visible, i)
		t.widths = append(t.widths, w)
	}
}

// View renders the header and the visible window of rows, exactly height
// lines (fewer when there are fewer rows).
func (t *Table) View() string {
	b := &t.sb
	b.Reset()
	st := t.c.Styles
	header := make([]string, len(t.visible))
	for i, ci := range t.visible {
		header[i] = t.cell(t.cols[ci].Title, t.widths[i], t.cols[ci].Right)
	}
	b.WriteString(st.Header.Render("  " + strings.Join(header, " ")))
	if len(t.rows) == 0 {
		// The explanation wraps rather than losing its end at 80 columns.
		w := max(t.width-2, 1)
		lines := strings.Split(ansi.Wordwrap(t.empty, w, ""), "\n")
		lines = lines[:min(len(lines), max(t.height-1, 1))]
		for _, l := range lines {
			b.WriteString("\n  ")
			b.WriteString(st.Muted.Render(ansi.Truncate(l, w, "…")))
		}
		return b.String()
	}
	end := min(t.offset+t.pageRows(), len(t.rows))
	marker := "›"
	if t.c.ASCII {
		marker = ">"
	}
	var line strings.Builder
	for r := t.offset; r < end; r++ {
		row := t.rows[r]
		line.Reset()
		selected := r == t.cursor
		if selected {
			line.WriteString(marker + " ")
		} else {
			line.WriteString("  ")
		}
		for i, ci := range t.visible {
			if i > 0 {
				line.WriteByte(' ')
			}
			var text string
			if ci < len(row.Cells) {
				text = row.Cells[ci]
			}
			cell := t.cell(text, t.widths[i], t.cols[ci].Right)
			if !selected && ci < len(row.Tones) {
				cell = t.tone(row.Tones[ci], cell)
			}
			line.WriteString(cell)
		}
		b.WriteByte('\n')
		if selected {
			b.WriteString(st.Table.Selected.Render(line.String()))
		} else {
			b.WriteString(line.String())
		}
	}
	return b.String()
}

func (t *Table) tone(tn Tone, s string) string {
	st := t.c.Styles
	switch tn {
	case ToneBad:
		return st.Firing.Render(s)
	case ToneWarn:
		return st.Warn.Render(s)
	case ToneGood:
		return st.StatusOK.Render(s)
	case ToneMuted:
		return st.Muted.Render(s)
	}
	return s
}

// cell truncates or pads text to exactly width display cells.
func (t *Table) cell(text string, width int, right bool) string {
	w := ansi.StringWidth(text)
	if w > width {
		tail := "…"
		if t.c.ASCII {
			tail = "~"
		}
		text = ansi.Truncate(text, width, tail)
		w = ansi.StringWidth(text)
	}
	pad := strings.Repeat(" ", width-w)
	if right {
		return pad + text
	}
	return text + pad
}
