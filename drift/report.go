package drift

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// WriteJSON writes the report as the oracle does (Python's json.dump with
// indent=1): same keys in the same order, floats as Python's repr, NaN and
// infinities as NaN/Infinity.
func (r *Report) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriter(w)
	p := func(s string) { bw.WriteString(s) }
	p("{\n")
	p(` "reference_rows": ` + strconv.Itoa(r.ReferenceRows) + ",\n")
	p(` "current_rows": ` + strconv.Itoa(r.CurrentRows) + ",\n")
	p(` "columns": [`)
	for i := range r.Columns {
		c := &r.Columns[i]
		if i > 0 {
			p(",")
		}
		p("\n  {\n")
		p(`   "name": ` + pyJSONString(c.Name) + ",\n")
		p(`   "type": "` + c.Kind.String() + "\",\n")
		p(`   "stats": {`)
		first := true
		for k := Stat(0); k < numStats; k++ {
			v, ok := c.Stats.Get(k)
			if !ok {
				continue
			}
			if !first {
				p(",")
			}
			first = false
			p("\n    \"" + k.String() + `": ` + pyJSONFloat(v))
		}
		if first {
			p("}")
		} else {
			p("\n   }")
		}
		p(",\n")
		p(`   "method": "` + string(c.Method) + "\",\n")
		p(`   "score": ` + pyJSONFloat(c.Score) + ",\n")
		p(`   "threshold": ` + pyJSONFloat(c.Threshold) + ",\n")
		p(`   "drifted": ` + strconv.FormatBool(c.Drifted) + "\n  }")
	}
	if len(r.Columns) > 0 {
		p("\n ")
	}
	p("],\n")
	p(` "drifted_columns": ` + strconv.Itoa(r.DriftedColumns) + ",\n")
	p(` "share_drifted": ` + pyJSONFloat(r.ShareDrifted) + ",\n")
	p(` "dataset_drift": ` + strconv.FormatBool(r.DatasetDrift) + "\n}\n")
	return bw.Flush()
}

func pyJSONFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	return pyFloatRepr(v)
}

// pyJSONString quotes s as json.dumps with ensure_ascii=True.
func pyJSONString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r >= 0x20 && r <= 0x7e:
				b.WriteRune(r)
			case r >= 0x10000:
				r -= 0x10000
				fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			default:
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// WriteTable writes a human-readable table: one row per column with its
// method, score, threshold and verdict, then the dataset verdict.
func (r *Report) WriteTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	nameW := len("COLUMN")
	for _, c := range r.Columns {
		nameW = max(nameW, utf8.RuneCountInString(c.Name))
	}
	fmt.Fprintf(bw, "%-*s  %-11s  %-18s  %12s  %9s  %s\n", nameW, "COLUMN", "TYPE", "METHOD", "SCORE", "THRESHOLD", "DRIFT")
	for _, c := range r.Columns {
		verdict := "no"
		if c.Drifted {
			verdict = "DRIFT"
		}
		fmt.Fprintf(bw, "%-*s  %-11s  %-18s  %12.6g  %9g  %s\n", nameW, c.Name, c.Kind, c.Method, c.Score, c.Threshold, verdict)
	}
	verdict := "no dataset drift"
	if r.DatasetDrift {
		verdict = "DATASET DRIFT"
	}
	fmt.Fprintf(bw, "\n%d of %d columns drifted (share %.3f, dataset drift at >= 0.5): %s\n",
		r.DriftedColumns, len(r.Columns), r.ShareDrifted, verdict)
	fmt.Fprintf(bw, "reference rows: %d, current rows: %d\n", r.ReferenceRows, r.CurrentRows)
	return bw.Flush()
}
