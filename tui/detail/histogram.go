package detail

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	wire "github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/tui/common"
)

// histState is the selected drift feature's histogram (the scored window
// once one has closed, else the open one).
type histState struct {
	want string // version\x00feature of the last fetch started
	key  string // version\x00feature that h and err belong to
	seq  int
	h    *client.DriftHistogram
	err  error
}

type histMsg struct {
	seq int
	key string
	h   *client.DriftHistogram
	err error
}

// selectedFeature is the selected drift row's version and feature.
func (v *View) selectedFeature() (version, feature string, ok bool) {
	row, ok := v.drift.Selected()
	if !ok {
		return "", "", false
	}
	parts := strings.Split(row.Key, "\x00") // version, feature, against
	if len(parts) != 3 {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// syncHistogram fetches the selected feature's histogram when the drift
// tab is open and the selection moved to another feature, or always when
// force is set (a refresh). The fetch runs in the returned tea.Cmd.
func (v *View) syncHistogram(force bool) tea.Cmd {
	if v.tab != TabDrift || v.model == "" {
		return nil
	}
	version, feature, ok := v.selectedFeature()
	if !ok {
		return nil
	}
	key := version + "\x00" + feature
	if !force && key == v.hist.want {
		return nil
	}
	v.hist.want = key
	v.hist.seq++
	c, api, model, seq := v.c, v.api, v.model, v.hist.seq
	return c.Call(fetchTimeout, func(ctx context.Context) tea.Msg {
		h, err := api.DriftHistogram(ctx, model, version, feature, 0)
		return histMsg{seq: seq, key: key, h: h, err: err}
	})
}

// driftNoteHeight is how many lines below the drift table show the
// selected feature's distributions, for a tab body of th lines.
func driftNoteHeight(th int) int {
	switch {
	case th >= 30:
		return 12
	case th >= 14:
		return 8
	}
	return 2
}

// driftNote renders the selected feature's baseline beside its current
// window: exactly n lines.
func (v *View) driftNote(n int) []string {
	lines := v.driftNoteLines(n)
	out := make([]string, n)
	for i := range out {
		if i < len(lines) {
			out[i] = common.Fit(lines[i], v.Width)
		}
	}
	return out
}

func (v *View) driftNoteLines(n int) []string {
	st := v.c.Styles
	version, feature, ok := v.selectedFeature()
	if !ok {
		return nil
	}
	key := version + "\x00" + feature
	if v.hist.key != key {
		return []string{v.baselineLine(version, feature), st.Muted.Render("current window: loading" + v.ellipsis())}
	}
	var apiErr *client.APIError
	switch err := v.hist.err; {
	case errors.Is(err, client.ErrNotConfigured):
		return []string{v.baselineLine(version, feature),
			"current window: " + st.Warn.Render(common.NotConfigured) + " (the collector does not serve /api/v1/drift)"}
	case errors.As(err, &apiErr) && apiErr.StatusCode == 404:
		return []string{v.baselineLine(version, feature), st.Muted.Render("current window: " + apiErr.Message)}
	case err != nil:
		return []string{v.baselineLine(version, feature), v.c.ErrorLine("current window: fetch failed", err)}
	}
	h := v.hist.h
	if h.Numeric != nil {
		return v.numericNote(h, n)
	}
	return v.categoryNote(h, n)
}

func (v *View) ellipsis() string {
	if v.c.ASCII {
		return "..."
	}
	return "…"
}

// windowName says which window the histogram shows: the scored one (the
// last closed window, the drift scores' own) or the open one.
func windowName(h *client.DriftHistogram) string {
	if h.Window.Kind == wire.WindowScored {
		return "scored window"
	}
	return "open window"
}

// windowText describes the window: which one, its span (a scored window
// ran from start to end; an open one closes at the end) and sample count.
// The span is in minutes when both ends are whole minutes.
func windowText(h *client.DriftHistogram, ascii bool) string {
	w := h.Window
	s := windowName(h)
	if w.Start != nil && w.End != nil {
		start, end := w.Start.UTC(), w.End.UTC()
		layout := "15:04:05"
		if start.Truncate(time.Minute).Equal(start) && end.Truncate(time.Minute).Equal(end) {
			layout = "15:04"
		}
		dash := "–"
		if ascii {
			dash = "-"
		}
		s += " " + start.Format(layout) + dash + end.Format(layout)
	}
	s += " · " + strconv.FormatUint(w.Samples, 10) + " values"
	if w.Missing > 0 {
		s += ", " + strconv.FormatUint(w.Missing, 10) + " missing"
	}
	return s
}

// numericNote draws the baseline's and the window's shares over the same
// bins as two bar charts side by side, on one scale.
func (v *View) numericNote(h *client.DriftHistogram, n int) []string {
	st := v.c.Styles
	nb := h.Numeric
	bins := len(nb.Counts)
	lo, hi := nb.Edges[0], nb.Edges[bins]
	cur := make([]float64, bins)
	total := float64(h.Window.Samples)
	for i, c := range nb.Counts {
		if total > 0 {
			cur[i] = c / total
		}
	}
	base := nb.BaselineProportions
	top := 0.0
	for i := range cur {
		top = math.Max(top, cur[i])
		if len(base) > 0 {
			top = math.Max(top, base[i])
		}
	}
	title := h.Feature + " " + h.Version + " · " + strconv.Itoa(bins) + " bins over " +
		common.FormatNumber(lo) + ".." + common.FormatNumber(hi)
	if n < 4 {
		// Too short for bars: one sparkline each.
		line := "baseline " + v.compactBars(base, top) + "  current " + v.compactBars(cur, top) + "  " + outside(h, lo, hi)
		return []string{title + " · " + windowText(h, v.c.ASCII), line}
	}
	title += " · baseline vs " + windowName(h) + ", one scale"
	rows := n - 3
	baseHead := "baseline"
	if h.Baseline != nil {
		baseHead += " (" + strconv.Itoa(h.Baseline.Rows) + " rows)"
	}
	if h.Baseline == nil {
		baseHead = "baseline: no training profile"
	} else if len(base) == 0 {
		baseHead = "baseline: no sample in the profile"
	}
	gap := "    "
	bw := max(bins, ansi.StringWidth(baseHead)) // the baseline block's width
	head := pad(baseHead, bw) + gap + windowText(h, v.c.ASCII)
	legend := []string{"top bar " + common.FormatPercent(top)}
	legend = append(legend, outsideParts(h, lo, hi)...)
	if nb.Uncertain > 0 && total > 0 {
		legend = append(legend, common.FormatPercent(nb.Uncertain/total)+" straddle bin edges")
	}
	left := v.vbars(base, top, rows)
	right := v.vbars(cur, top, rows)
	out := []string{title, head}
	for r := range rows {
		l := st.Muted.Render(pad(left[r], bw))
		line := l + gap + right[r]
		if r < len(legend) {
			line += "  " + st.Muted.Render(legend[r])
		}
		out = append(out, line)
	}
	axis := axisLine(lo, hi, bins)
	out = append(out, pad(axis, bw)+gap+axis)
	return out
}

// axisLine labels a bar chart's ends under its width cells.
func axisLine(lo, hi float64, width int) string {
	l, r := common.FormatNumber(lo), common.FormatNumber(hi)
	if len(l)+len(r)+1 > width {
		return l + ".." + r // narrower than its labels: the range as text
	}
	return l + strings.Repeat(" ", width-len(l)-len(r)) + r
}

// outsideParts are the window's shares below and above the bins.
func outsideParts(h *client.DriftHistogram, lo, hi float64) []string {
	nb, total := h.Numeric, float64(h.Window.Samples)
	if total == 0 {
		return nil
	}
	var out []string
	if nb.Below > 0 {
		out = append(out, "below "+common.FormatNumber(lo)+": "+common.FormatPercent(nb.Below/total))
	}
	if nb.Above > 0 {
		out = append(out, "above "+common.FormatNumber(hi)+": "+common.FormatPercent(nb.Above/total))
	}
	return out
}

func outside(h *client.DriftHistogram, lo, hi float64) string {
	return strings.Join(outsideParts(h, lo, hi), " · ")
}

var (
	vLevels = []rune("▁▂▃▄▅▆▇█")
	hLevels = []rune("▏▎▍▌▋▊▉█")
)

// vbars draws shares as vertical bars rows high, scaled so that top fills
// the column; a non-zero share shows at least its lowest mark. Row 0 is the
// top. Without values it returns blank rows.
func (v *View) vbars(vals []float64, top float64, rows int) []string {
	out := make([][]rune, rows)
	for r := range out {
		out[r] = []rune(strings.Repeat(" ", max(len(vals), 1)))
	}
	if top <= 0 {
		return runesToStrings(out)
	}
	for i, x := range vals {
		eighths := int(math.Round(x / top * float64(rows*8)))
		if x > 0 && eighths == 0 {
			eighths = 1
		}
		for r := range rows {
			fill := eighths - (rows-1-r)*8 // eighths in this cell, bottom row last
			switch {
			case fill >= 8:
				out[r][i] = v.cell(8)
			case fill > 0:
				out[r][i] = v.cell(fill)
			}
		}
	}
	return runesToStrings(out)
}

// cell is a bar cell filled e eighths from the bottom.
func (v *View) cell(e int) rune {
	if v.c.ASCII {
		switch {
		case e >= 8:
			return '#'
		case e >= 4:
			return '+'
		}
		return '.'
	}
	return vLevels[e-1]
}

func runesToStrings(rs [][]rune) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// compactBars is a one-line bar chart of shares on the scale top.
func (v *View) compactBars(vals []float64, top float64) string {
	if len(vals) == 0 {
		return v.c.DashFor()
	}
	return v.vbars(vals, top, 1)[0]
}

// hbar is a horizontal bar of share x (scale top) in width cells.
func (v *View) hbar(x, top float64, width int) string {
	if top <= 0 || width <= 0 {
		return strings.Repeat(" ", max(width, 0))
	}
	eighths := int(math.Round(x / top * float64(width*8)))
	if x > 0 && eighths == 0 {
		eighths = 1
	}
	var b strings.Builder
	full, part := eighths/8, eighths%8
	if v.c.ASCII {
		b.WriteString(strings.Repeat("#", full))
		if part >= 4 {
			b.WriteByte('+')
			full++
		} else if part > 0 {
			b.WriteByte('.')
			full++
		}
	} else {
		b.WriteString(strings.Repeat(string(hLevels[7]), full))
		if part > 0 {
			b.WriteRune(hLevels[part-1])
			full++
		}
	}
	b.WriteString(strings.Repeat(" ", max(width-full, 0)))
	return b.String()
}

// categoryNote lists categories with the baseline's and the window's
// shares as bars side by side, the profile's most frequent first.
func (v *View) categoryNote(h *client.DriftHistogram, n int) []string {
	st := v.c.Styles
	title := h.Feature + " " + h.Version + " · " + strconv.Itoa(len(h.Categories)) + " categories · " + windowText(h, v.c.ASCII)
	if h.Baseline == nil {
		title += " · no training profile"
	}
	total := float64(h.Window.Samples)
	share := func(c uint64) float64 {
		if total == 0 {
			return 0
		}
		return float64(c) / total
	}
	top := 0.0
	nameW := 4
	for _, c := range h.Categories {
		top = math.Max(top, share(c.Count))
		if c.BaselineProportion != nil {
			top = math.Max(top, *c.BaselineProportion)
		}
		nameW = max(nameW, ansi.StringWidth(c.Value))
	}
	nameW = min(nameW, 16)
	// name, "baseline" bar pct, "current" bar pct
	barW := max(min((v.Width-nameW-2-2*(9+6)-2)/2, 24), 4)
	out := []string{title}
	avail := n - 1
	for i, c := range h.Categories {
		if len(out) == n {
			break
		}
		if i == avail-1 && len(h.Categories) > avail {
			out = append(out, st.Muted.Render("+"+strconv.Itoa(len(h.Categories)-i)+" more"))
			break
		}
		b := v.c.DashFor()
		bbar := strings.Repeat(" ", barW)
		if c.BaselineProportion != nil {
			b = common.FormatPercent(*c.BaselineProportion)
			bbar = v.hbar(*c.BaselineProportion, top, barW)
		}
		s := share(c.Count)
		out = append(out, pad(common.Fit(c.Value, nameW), nameW)+"  baseline "+st.Muted.Render(bbar)+" "+pad(b, 5)+
			"  current "+v.hbar(s, top, barW)+" "+common.FormatPercent(s))
	}
	if n >= 2 && len(out) == 1 {
		out = append(out, st.Muted.Render("no values in the window yet"))
	}
	return out
}
