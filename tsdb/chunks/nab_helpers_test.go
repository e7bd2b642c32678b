package chunks

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/internal/nab"
)

// series is one NAB file, loaded in file order.
type series struct {
	name string
	ts   []int64
	vs   []float64
}

func loadDir(tb testing.TB, dir string) []series {
	tb.Helper()
	files, err := nab.Files(dir)
	require.NoError(tb, err)
	require.NotEmpty(tb, files, "no NAB CSV files in %s", dir)
	out := make([]series, 0, len(files))
	for _, f := range files {
		ts, vs, err := nab.Load(f)
		require.NoError(tb, err)
		require.NotEmpty(tb, ts, "%s has no samples", f)
		rel, err := filepath.Rel(dir, f)
		require.NoError(tb, err)
		out = append(out, series{name: rel, ts: ts, vs: vs})
	}
	return out
}

// sharedSeries loads every NAB file of ../shared/data/nab or skips.
func sharedSeries(tb testing.TB) []series {
	tb.Helper()
	dir, ok := nab.SharedDir()
	if !ok {
		tb.Skipf("shared NAB data not found at <module root>/../shared/data/nab; only testdata/nab is checked")
	}
	return loadDir(tb, dir)
}

func testdataSeries(tb testing.TB) []series {
	tb.Helper()
	dir, err := nab.TestdataDir()
	require.NoError(tb, err)
	return loadDir(tb, dir)
}

// sorted returns a sorted, de-duplicated copy, as the engine would seal it.
func (s series) sorted() series {
	ts := append([]int64(nil), s.ts...)
	vs := append([]float64(nil), s.vs...)
	ts, vs = nab.SortDedup(ts, vs)
	return series{name: s.name, ts: ts, vs: vs}
}
