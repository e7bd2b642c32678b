package drift

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seasonFrames returns bike-sharing hourly data for season 1 and season 3:
// the full UCI file from ../shared when present, else the 2011 copy in
// testdata.
func seasonFrames(t *testing.T) (ref, cur *Frame, source string) {
	t.Helper()
	full := filepath.Join("..", "..", "shared", "data", "tabular", "bike_sharing", "hour.csv")
	if _, err := os.Stat(full); err == nil {
		all, err := ReadCSVFile(full)
		require.NoError(t, err)
		ref, cur = filterRows(t, all, "season", 1), filterRows(t, all, "season", 3)
		// An empty or truncated hour.csv would compare nothing and pass.
		require.NotZero(t, ref.Rows, "%s has no season 1 rows", full)
		require.NotZero(t, cur.Rows, "%s has no season 3 rows", full)
		return ref, cur, "hour.csv"
	}
	t.Logf("%s not found: using the 2011 subset in testdata", full)
	dir := filepath.Join("..", "testdata", "drift", "bike_season1_vs_season3_2011")
	ref, err := ReadCSVFile(filepath.Join(dir, "reference.csv"))
	require.NoError(t, err)
	cur, err = ReadCSVFile(filepath.Join(dir, "current.csv"))
	require.NoError(t, err)
	return ref, cur, "2011 subset"
}

// filterRows keeps the rows whose numeric column key equals v (the numeric
// columns of hour.csv have no missing cells, so rows align).
func filterRows(t *testing.T, f *Frame, key string, v float64) *Frame {
	k := f.Column(key)
	require.NotNil(t, k)
	out := &Frame{}
	for _, c := range f.Columns {
		if c.DType == DTypeObject {
			continue
		}
		require.Equal(t, f.Rows, len(c.Values), c.Name)
		nc := &Column{Name: c.Name, DType: c.DType}
		for i, x := range c.Values {
			if k.Values[i] == v {
				nc.Values = append(nc.Values, x)
			}
		}
		out.Columns = append(out.Columns, nc)
	}
	out.Rows = len(out.Columns[0].Values)
	return out
}

func sketchOf(t *testing.T, values []float64) *Sketch {
	s, err := NewNumericSketch(DefaultSketchAlpha)
	require.NoError(t, err)
	for _, v := range values {
		require.NoError(t, s.Add(v))
	}
	return s
}

func TestDriftSketchBoundsHoldOnBikeSeasons(t *testing.T) {
	ref, cur, source := seasonFrames(t)
	batch, err := Compare(context.Background(), ref, cur, Options{Columns: []string{"hr", "temp", "atemp", "hum", "windspeed", "casual", "registered", "cnt"}})
	require.NoError(t, err)
	require.Len(t, batch.Columns, 8, "every column asked for is checked")
	for _, col := range batch.Columns {
		rs := sketchOf(t, ref.Column(col.Name).Values)
		cs := sketchOf(t, cur.Column(col.Name).Values)
		ks, err := EstimateKS(rs, cs)
		require.NoError(t, err)
		exactKS, _ := col.Stats.Get(StatKSStatistic)
		const eps = 1e-12
		assert.GreaterOrEqual(t, exactKS, ks.Lo-eps, "%s KS", col.Name)
		assert.LessOrEqual(t, exactKS, ks.Hi+eps, "%s KS", col.Name)
		assert.LessOrEqual(t, ks.Bound(), 0.01, "%s: KS bound", col.Name)

		w, wn, err := EstimateWasserstein(rs, cs)
		require.NoError(t, err)
		exactW, _ := col.Stats.Get(StatWasserstein)
		exactWN, _ := col.Stats.Get(StatWassersteinNormed)
		assert.GreaterOrEqual(t, exactW, w.Lo*(1-1e-9)-eps, "%s W", col.Name)
		assert.LessOrEqual(t, exactW, w.Hi*(1+1e-9)+eps, "%s W", col.Name)
		assert.InDelta(t, exactWN, wn.Value, wn.Bound()+1e-9, "%s W normed", col.Name)

		be, err := EstimateBinned(rs, cs)
		require.NoError(t, err)
		psi, _ := col.Stats.Get(StatPSI)
		js, _ := col.Stats.Get(StatJensenShannon)
		if be.UncertainMass == 0 {
			assert.InDelta(t, psi, be.PSI, 1e-9, "%s PSI", col.Name)
			assert.InDelta(t, js, be.JensenShannon, 1e-9, "%s JS", col.Name)
		}
		t.Logf("%s (%s): buckets %d/%d  KS exact %.5f est %.5f±%.5f  W exact %.5f est %.5f±%.5f  PSI exact %.4f est %.4f (uncertain mass %.4f)",
			col.Name, source, rs.Buckets(), cs.Buckets(), exactKS, ks.Value, ks.Bound(), exactW, w.Value, w.Bound(), psi, be.PSI, be.UncertainMass)
	}
}

func TestDriftSketchMergeIsExact(t *testing.T) {
	ref, _, _ := seasonFrames(t)
	vals := ref.Column("atemp").Values
	whole := sketchOf(t, vals)
	a, b := sketchOf(t, vals[:len(vals)/3]), sketchOf(t, vals[len(vals)/3:])
	require.NoError(t, b.Merge(a))
	assert.Equal(t, whole.buckets, b.buckets)
	assert.Equal(t, whole.Count(), b.Count())
	assert.InDelta(t, whole.Std(), b.Std(), 1e-12)
	assert.InDelta(t, stdDev(vals), b.Std(), 1e-12)

	other, err := NewNumericSketch(0.01)
	require.NoError(t, err)
	assert.Error(t, b.Merge(other))
	assert.ErrorIs(t, b.Merge(NewCategoricalSketch()), ErrSketchKind)
}

func TestDriftCategoricalSketchIsExact(t *testing.T) {
	dir := filepath.Join("..", "testdata", "drift", "bike_season1_vs_season3_2011")
	ref, err := ReadCSVFile(filepath.Join(dir, "reference.csv"))
	require.NoError(t, err)
	cur, err := ReadCSVFile(filepath.Join(dir, "current.csv"))
	require.NoError(t, err)
	batch, err := Compare(context.Background(), ref, cur, Options{Columns: []string{"weathersit"}, Categorical: []string{"weathersit"}})
	require.NoError(t, err)
	rs, cs := NewCategoricalSketch(), NewCategoricalSketch()
	for _, v := range ref.Column("weathersit").Values {
		require.NoError(t, rs.AddLabel(labelOf(v, DTypeInt)))
	}
	for _, v := range cur.Column("weathersit").Values {
		require.NoError(t, cs.AddLabel(labelOf(v, DTypeInt)))
	}
	be, err := EstimateBinned(rs, cs)
	require.NoError(t, err)
	st := batch.Columns[0].Stats
	for k, got := range map[Stat]float64{StatPSI: be.PSI, StatJensenShannon: be.JensenShannon, StatLInfinity: be.LInfinity, StatHellinger: be.Hellinger} {
		want, ok := st.Get(k)
		require.True(t, ok)
		assert.InDelta(t, want, got, 1e-12, "%s", k)
	}
	assert.Zero(t, be.UncertainMass)
	_, err = EstimateKS(rs, cs)
	assert.ErrorIs(t, err, ErrSketchKind)
}

func TestDriftSketchRejectsBadInput(t *testing.T) {
	_, err := NewNumericSketch(0)
	assert.Error(t, err)
	s, err := NewNumericSketch(0.01)
	require.NoError(t, err)
	assert.Error(t, s.Add(math.Inf(1)))
	require.NoError(t, s.Add(math.NaN()))
	assert.Equal(t, uint64(1), s.Missing())
	assert.ErrorIs(t, s.AddLabel("x"), ErrSketchKind)
	empty, _ := NewNumericSketch(0.01)
	_, err = EstimateKS(s, empty)
	assert.Error(t, err)
}

// BenchmarkSketchAdd is the collector's per-value cost of a numerical sketch.
func BenchmarkSketchAdd(b *testing.B) {
	s, err := NewNumericSketch(DefaultSketchAlpha)
	if err != nil {
		b.Fatal(err)
	}
	vals := make([]float64, 4096)
	for i := range vals {
		vals[i] = math.Round(math.Exp(float64(i%977)/100)*100) / 100
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Add(vals[i&4095]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "values/s")
}
