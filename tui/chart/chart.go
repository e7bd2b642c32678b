package chart

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

var blocks = []rune("▁▂▃▄▅▆▇█")

// asciiLevels stands in for blocks where only 7-bit output is allowed.
var asciiLevels = []rune("_.-~=*#@")

// Sparkline renders one character per value, scaled between the smallest
// and largest finite value; NaN and ±Inf render as a space.
func Sparkline(values []float64, ascii bool) string {
	levels := blocks
	if ascii {
		levels = asciiLevels
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	var b strings.Builder
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b.WriteByte(' ')
			continue
		}
		i := 0
		if hi > lo {
			i = int(math.Round((v - lo) / (hi - lo) * float64(len(levels)-1)))
		}
		b.WriteRune(levels[i])
	}
	return b.String()
}

// Point is one sample of a plotted series.
type Point struct {
	T time.Time
	V float64
}

// Line is one plotted series with its legend text.
type Line struct {
	Label  string
	Points []Point
}

// Markers distinguish series; they are ASCII so charts survive any terminal.
var Markers = []byte("*+ox#%@&")

// LineChart draws lines into a width×height block of text: a y axis with
// the min and max, the plot, an x axis with the first and last time (UTC
// HH:MM:SS), and one legend line per series while height allows. It
// returns exactly height lines (or nothing when the block is too small).
func LineChart(lines []Line, width, height int) []string {
	return LineChartFormat(lines, width, height, nil)
}

// LineChartFormat is LineChart with the y axis labels written by format
// (the figure's own unit: "49ms", "0.3%"), at most 7 characters; nil, or a
// range too narrow for format to tell its ends apart, uses plain numbers.
func LineChartFormat(lines []Line, width, height int, format func(float64) string) []string {
	const yAxis = 9 // "12.3k   |"
	legendRows := min(len(lines), max(height-6, 0))
	plotH := height - 2 - legendRows
	plotW := width - yAxis
	if plotH < 2 || plotW < 8 {
		return nil
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	var from, to time.Time
	for _, l := range lines {
		for _, p := range l.Points {
			if from.IsZero() || p.T.Before(from) {
				from = p.T
			}
			if p.T.After(to) {
				to = p.T
			}
			if !math.IsNaN(p.V) && !math.IsInf(p.V, 0) {
				lo, hi = math.Min(lo, p.V), math.Max(hi, p.V)
			}
		}
	}
	if math.IsInf(lo, 1) {
		return nil
	}
	if hi-lo <= 1e-9*math.Max(math.Abs(hi), math.Abs(lo)) {
		// A flat series (up to float noise, e.g. a ratio of two rates
		// that move together) sits mid-plot, its value on both labels'
		// scale rather than ±1 around it.
		pad := math.Abs(hi) * 0.1
		if pad == 0 {
			pad = 1
		}
		lo, hi = lo-pad, hi+pad
	}
	grid := make([][]byte, plotH)
	for i := range grid {
		grid[i] = []byte(strings.Repeat(" ", plotW))
	}
	span := to.Sub(from)
	for li, l := range lines {
		mark := Markers[li%len(Markers)]
		for _, p := range l.Points {
			if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
				continue
			}
			x := 0
			if span > 0 {
				x = int(math.Round(float64(p.T.Sub(from)) / float64(span) * float64(plotW-1)))
			}
			y := int(math.Round((hi - p.V) / (hi - lo) * float64(plotH-1)))
			grid[y][x] = mark
		}
	}
	hiLabel, loLabel := formatAxis(hi), formatAxis(lo)
	if format != nil {
		if h, l := format(hi), format(lo); h != l && len(h) <= yAxis-2 && len(l) <= yAxis-2 {
			hiLabel, loLabel = h, l
		}
	}
	out := make([]string, 0, height)
	for i, row := range grid {
		label := ""
		switch i {
		case 0:
			label = hiLabel
		case plotH - 1:
			label = loLabel
		}
		out = append(out, padLeft(label, yAxis-2)+" |"+string(row))
	}
	out = append(out, strings.Repeat(" ", yAxis-1)+"+"+strings.Repeat("-", plotW))
	first, last := from.UTC().Format("15:04:05"), to.UTC().Format("15:04:05")
	gap := max(plotW-len(first)-len(last), 1)
	out = append(out, strings.Repeat(" ", yAxis)+first+strings.Repeat(" ", gap)+last)
	for i := 0; i < legendRows; i++ {
		text := string(Markers[i%len(Markers)]) + " " + lines[i].Label
		if i == legendRows-1 && legendRows < len(lines) {
			text = "  … and " + strconv.Itoa(len(lines)-i) + " more series"
		}
		out = append(out, strings.Repeat(" ", yAxis)+ansi.Truncate(text, max(plotW, 1), "~"))
	}
	return out
}

func padLeft(s string, w int) string {
	if len(s) >= w {
		return s[:w]
	}
	return strings.Repeat(" ", w-len(s)) + s
}
