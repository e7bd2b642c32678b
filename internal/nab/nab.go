// Package nab owns reading the Numenta Anomaly Benchmark (NAB) metric CSV
// files that the storage tests and benchmarks use as real-world series.
package nab

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// timeLayout is NAB's timestamp format; NAB timestamps carry no zone and
// are read as UTC.
const timeLayout = "2006-01-02 15:04:05"

// Load parses one NAB CSV file (header "timestamp,value") and returns its
// samples in file order: timestamps in Unix milliseconds and the values
// exactly as strconv.ParseFloat reads them. Some NAB files hold duplicate or
// out-of-order timestamps; use SortDedup when sorted input is required.
func Load(path string) (ts []int64, vs []float64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load NAB series: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if line == 1 && strings.HasPrefix(text, "timestamp") {
			continue
		}
		tsText, valText, ok := strings.Cut(text, ",")
		if !ok {
			return nil, nil, fmt.Errorf("load NAB series %s line %d: want \"timestamp,value\", got %q", path, line, text)
		}
		t, err := time.ParseInLocation(timeLayout, tsText, time.UTC)
		if err != nil {
			return nil, nil, fmt.Errorf("load NAB series %s line %d: timestamp: %w", path, line, err)
		}
		v, err := strconv.ParseFloat(valText, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("load NAB series %s line %d: value: %w", path, line, err)
		}
		ts = append(ts, t.UnixMilli())
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("load NAB series %s: %w", path, err)
	}
	return ts, vs, nil
}

// SortDedup sorts the samples by timestamp in place (stable, so file order
// decides among equal timestamps), keeps the last value of every duplicate
// timestamp, and returns the shortened slices.
func SortDedup(ts []int64, vs []float64) ([]int64, []float64) {
	if len(ts) != len(vs) {
		panic("nab.SortDedup: timestamps and values differ in length")
	}
	if !sort.SliceIsSorted(ts, func(i, j int) bool { return ts[i] < ts[j] }) {
		idx := make([]int, len(ts))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case ts[a] < ts[b]:
				return -1
			case ts[a] > ts[b]:
				return 1
			}
			return 0
		})
		st := make([]int64, len(ts))
		sv := make([]float64, len(vs))
		for i, j := range idx {
			st[i], sv[i] = ts[j], vs[j]
		}
		copy(ts, st)
		copy(vs, sv)
	}
	out := 0
	for i := range ts {
		if out > 0 && ts[out-1] == ts[i] {
			vs[out-1] = vs[i]
			continue
		}
		ts[out], vs[out] = ts[i], vs[i]
		out++
	}
	return ts[:out], vs[:out]
}

// Files returns the NAB CSV files under dir (recursively), sorted by path.
func Files(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".csv") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list NAB files in %s: %w", dir, err)
	}
	sort.Strings(out)
	return out, nil
}

// ModuleRoot returns the nearest directory at or above the working
// directory that holds a go.mod file.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find module root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// SharedDir returns <module root>/../shared/data/nab and whether it exists;
// a user's clone has no shared data, so callers skip instead of failing.
func SharedDir() (string, bool) {
	root, err := ModuleRoot()
	if err != nil {
		return "", false
	}
	dir := filepath.Join(root, "..", "shared", "data", "nab")
	st, err := os.Stat(dir)
	return dir, err == nil && st.IsDir()
}

// TestdataDir returns <module root>/testdata/nab, the small NAB subset that
// ships with the repository.
func TestdataDir() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "testdata", "nab"), nil
}
