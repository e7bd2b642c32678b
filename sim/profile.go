package sim

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// Profile is a table of real rows that traffic is bootstrapped from.
type Profile struct {
	Columns []string
	// Numeric[c] holds column c parsed as floats when every cell parses;
	// nil for categorical columns.
	Numeric [][]float64
	Text    [][]string
	rows    int
}

// Rows is the number of rows in the profile.
func (p *Profile) Rows() int { return p.rows }

// ColumnIndex returns the index of a column or -1.
func (p *Profile) ColumnIndex(name string) int {
	for i, c := range p.Columns {
		if c == name {
			return i
		}
	}
	return -1
}

// ReadProfile parses a CSV with a header row.
func ReadProfile(r io.Reader) (*Profile, error) {
	cr := csv.NewReader(r)
	records, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	if len(records) < 2 {
		return nil, fmt.Errorf("read profile: need a header and at least one row, got %d lines", len(records))
	}
	header := records[0]
	p := &Profile{Columns: header, Numeric: make([][]float64, len(header)), Text: make([][]string, len(header)), rows: len(records) - 1}
	for c := range header {
		col := make([]string, 0, p.rows)
		nums := make([]float64, 0, p.rows)
		numeric := true
		for _, rec := range records[1:] {
			if len(rec) != len(header) {
				return nil, fmt.Errorf("read profile: row has %d cells, header %d", len(rec), len(header))
			}
			col = append(col, rec[c])
			if numeric {
				v, err := strconv.ParseFloat(rec[c], 64)
				if err != nil {
					numeric = false
					continue
				}
				nums = append(nums, v)
			}
		}
		p.Text[c] = col
		if numeric {
			p.Numeric[c] = nums
		}
	}
	return p, nil
}
