package dataset

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mlectl/mlectl/engine"
)

// Format names an input text format.
type Format string

// Input formats.
const (
	FormatAuto   Format = ""
	FormatCSV    Format = "csv"
	FormatTSV    Format = "tsv"
	FormatLibSVM Format = "libsvm"
)

// ParseFormat validates a format name given by a user.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case FormatAuto, FormatCSV, FormatTSV, FormatLibSVM:
		return Format(s), nil
	case "auto":
		return FormatAuto, nil
	}
	return "", fmt.Errorf("unknown input format %q (want csv, tsv or libsvm, or omit it to detect)", s)
}

// DetectFormat guesses the input format from the file name's extension and,
// failing that, from the first line: "idx:value" tokens mean libsvm, a tab
// means TSV, anything else CSV.
func DetectFormat(name string, head []byte) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV
	case ".tsv", ".tab":
		return FormatTSV
	case ".libsvm", ".svm", ".svmlight":
		return FormatLibSVM
	}
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	switch {
	case bytes.IndexByte(line, '\t') >= 0:
		return FormatTSV
	case bytes.IndexByte(line, ',') >= 0:
		return FormatCSV
	case bytes.IndexByte(line, ':') >= 0:
		return FormatLibSVM
	}
	return FormatCSV
}

// Options describe how to map input text onto a model's features.
type Options struct {
	Format Format
	// NumFeatures is the number of features the model expects.
	NumFeatures int
	// FeatureNames, when the model knows them, are checked against a header
	// row; a header with the same names in another order is reordered.
	FeatureNames []string
	// LabelColumn is a 0-based CSV/TSV column to drop (e.g. the label);
	// negative means none. libsvm's leading label is always dropped.
	LabelColumn int
	// Absent is the value of features a libsvm row leaves out: NaN (missing)
	// for XGBoost, 0 for LightGBM.
	Absent float64
}

// Read parses all rows of r into a batch of opts.NumFeatures columns.
func Read(r io.Reader, opts Options) (engine.Batch, error) {
	if opts.NumFeatures <= 0 {
		return engine.Batch{}, fmt.Errorf("model has %d features", opts.NumFeatures)
	}
	switch opts.Format {
	case FormatCSV:
		return readDelimited(r, ',', opts)
	case FormatTSV:
		return readDelimited(r, '\t', opts)
	case FormatLibSVM:
		return readLibSVM(r, opts)
	}
	return engine.Batch{}, fmt.Errorf("unknown input format %q", opts.Format)
}

// ParseCell parses one feature value. Empty cells and NA/NaN/null spellings
// are missing (NaN).
func ParseCell(s string) (float64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "na", "nan", "null", "none", "?":
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return v, nil // ±Inf or denormal-rounded: still a value
		}
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

func readDelimited(r io.Reader, comma rune, opts Options) (engine.Batch, error) {
	cr := csv.NewReader(r)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	cr.LazyQuotes = true
	nf := opts.NumFeatures
	var (
		values []float64
		rows   int
		order  []int    // input feature position -> model feature index
		header []string // column names, when the input has a header
		width  = -1     // cells per record, fixed by the first record
	)
	for first := true; ; first = false {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return engine.Batch{}, fmt.Errorf("reading input: %w", err)
		}
		line, _ := cr.FieldPos(0)
		// A trailing delimiter leaves an empty last cell; tools emit it.
		if n := len(rec); n > 1 && strings.TrimSpace(rec[n-1]) == "" && n-labelCols(opts, n) == nf+1 {
			rec = rec[:n-1]
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if first && isHeader(rec) {
			feats := dropColumn(rec, opts.LabelColumn)
			if len(feats) != nf {
				return engine.Batch{}, fmt.Errorf("line %d: header has %d feature columns, the model expects %d", line, len(feats), nf)
			}
			order, err = columnOrder(feats, opts.FeatureNames)
			if err != nil {
				return engine.Batch{}, fmt.Errorf("line %d: %w", line, err)
			}
			width = len(rec)
			header = append([]string(nil), rec...) // rec is reused by the reader
			continue
		}
		if width < 0 {
			width = len(rec)
		}
		if len(rec) != width {
			return engine.Batch{}, fmt.Errorf("line %d has %d columns, earlier lines have %d", line, len(rec), width)
		}
		nCells := len(rec) - labelCols(opts, len(rec))
		if nCells != nf {
			hint := ""
			if nCells == nf+1 && opts.LabelColumn < 0 {
				hint = " (if the first column is a label, pass --label-column 0)"
			}
			return engine.Batch{}, fmt.Errorf("line %d has %d feature columns, the model expects %d%s", line, nCells, nf, hint)
		}
		base := len(values)
		values = append(values, make([]float64, nf)...)
		j := 0
		for c, cell := range rec {
			if c == opts.LabelColumn {
				continue
			}
			v, err := ParseCell(cell)
			if err != nil {
				if c < len(header) {
					return engine.Batch{}, fmt.Errorf("line %d, column %d (%s): %w", line, c+1, strings.TrimSpace(header[c]), err)
				}
				return engine.Batch{}, fmt.Errorf("line %d, column %d: %w", line, c+1, err)
			}
			dst := j
			if order != nil {
				dst = order[j]
			}
			values[base+dst] = v
			j++
		}
		rows++
	}
	return engine.Batch{Rows: rows, Cols: nf, Values: values}, nil
}

func labelCols(opts Options, n int) int {
	if opts.LabelColumn >= 0 && opts.LabelColumn < n {
		return 1
	}
	return 0
}

func dropColumn(rec []string, col int) []string {
	out := make([]string, 0, len(rec))
	for i, s := range rec {
		if i != col {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}

// isHeader reports whether a first record is a header: none of its cells is
// a number. A record mixing numbers and words is data with a bad cell, and
// is reported as such.
func isHeader(rec []string) bool {
	for _, cell := range rec {
		if _, err := ParseCell(cell); err == nil {
			return false
		}
	}
	return true
}

// columnOrder maps header positions to model feature indices. Without model
// names the header is taken to be in model order.
func columnOrder(header, names []string) ([]int, error) {
	if len(names) == 0 {
		return nil, nil
	}
	if len(names) != len(header) {
		return nil, fmt.Errorf("header has %d feature columns, the model has %d named features", len(header), len(names))
	}
	index := make(map[string]int, len(names))
	for i, n := range names {
		index[n] = i
	}
	order := make([]int, len(header))
	seen := make([]bool, len(names))
	inOrder := true
	for i, h := range header {
		j, ok := index[h]
		if !ok {
			return nil, fmt.Errorf("header column %d %q is not a model feature (the model's features are %s)", i+1, h, strings.Join(names, ","))
		}
		if seen[j] {
			return nil, fmt.Errorf("header names feature %q twice", h)
		}
		seen[j] = true
		order[i] = j
		inOrder = inOrder && i == j
	}
	if inOrder {
		return nil, nil
	}
	return order, nil
}

func readLibSVM(r io.Reader, opts Options) (engine.Batch, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	nf := opts.NumFeatures
	var values []float64
	rows := 0
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		base := len(values)
		values = append(values, make([]float64, nf)...)
		row := values[base:]
		for j := range row {
			row[j] = opts.Absent
		}
		for k, f := range fields {
			colon := strings.IndexByte(f, ':')
			if colon < 0 {
				if k == 0 {
					continue // label
				}
				return engine.Batch{}, fmt.Errorf("line %d: token %q is not index:value", line, f)
			}
			key := f[:colon]
			if key == "qid" {
				continue
			}
			idx, err := strconv.Atoi(key)
			if err != nil || idx < 0 {
				return engine.Batch{}, fmt.Errorf("line %d: feature index %q is not a non-negative integer", line, key)
			}
			if idx >= nf {
				return engine.Batch{}, fmt.Errorf("line %d: feature index %d is out of range, the model has %d features (0..%d)", line, idx, nf, nf-1)
			}
			v, err := ParseCell(f[colon+1:])
			if err != nil {
				return engine.Batch{}, fmt.Errorf("line %d, feature %d: %w", line, idx, err)
			}
			row[idx] = v
		}
		rows++
	}
	if err := sc.Err(); err != nil {
		return engine.Batch{}, fmt.Errorf("reading input: %w", err)
	}
	return engine.Batch{Rows: rows, Cols: nf, Values: values}, nil
}
