package drift

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scipyValues are reference values computed by testdata/gen_scipy_values.py
// with scipy 1.10.1 / numpy 1.24.2.
type scipyValues struct {
	KStwoSF [][3]float64 `json:"kstwo_sf"`
	KSExact [][5]float64 `json:"ks_exact"`
	Chi2SF  [][3]float64 `json:"chi2_sf"`
	Smirnov [][3]float64 `json:"smirnov"`
	Sturges [][4]any     `json:"sturges"`
	KS2Samp []ks2Case    `json:"ks_2samp"`
}

type ks2Case struct {
	A, B        []int64
	Statistic   float64
	PValue      float64
	Wasserstein float64
}

func loadScipy(t testing.TB) *scipyValues {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "scipy_values.json"))
	require.NoError(t, err)
	var v scipyValues
	require.NoError(t, json.Unmarshal(b, &v))
	return &v
}

// closeTo is the oracle tolerance: 1e-6 absolute, 1e-9 relative above 1.
func closeTo(t testing.TB, want, got float64, msgAndArgs ...any) {
	t.Helper()
	if math.IsNaN(want) {
		assert.True(t, math.IsNaN(got), msgAndArgs...)
		return
	}
	tol := 1e-6
	if math.Abs(want) > 1 {
		tol = 1e-9 * math.Abs(want)
	}
	assert.InDelta(t, want, got, tol, msgAndArgs...)
}

func TestDriftKolmogorovSFMatchesScipy(t *testing.T) {
	v := loadScipy(t)
	require.NotEmpty(t, v.KStwoSF)
	for _, c := range v.KStwoSF {
		n, x, want := int(c[0]), c[1], c[2]
		closeTo(t, want, kolmogorovSF(n, x), "kstwo.sf(%v, %d)", x, n)
	}
}

func TestDriftSmirnovMatchesScipy(t *testing.T) {
	for _, c := range loadScipy(t).Smirnov {
		n, x, want := int(c[0]), c[1], c[2]
		closeTo(t, want, smirnovSF(n, x), "smirnov(%d, %v)", n, x)
	}
}

func TestDriftKSExactMatchesScipy(t *testing.T) {
	v := loadScipy(t)
	require.NotEmpty(t, v.KSExact)
	slow := os.Getenv("DRIFT_SLOW_TESTS") == "1"
	for _, c := range v.KSExact {
		n1, n2, d := int(c[0]), int(c[1]), c[2]
		if cells := 2 * d * c[0] * c[1]; n1 != n2 && cells > 3e7 && !slow {
			t.Logf("skipping n1=%d n2=%d d=%v (%.0e lattice cells; DRIFT_SLOW_TESTS=1 runs it)", n1, n2, d, cells)
			continue
		}
		stat, p, ok := ksExact(d, n1, n2)
		require.True(t, ok)
		assert.Equal(t, c[3], stat, "statistic n1=%d n2=%d d=%v", n1, n2, d)
		closeTo(t, c[4], p, "exact p n1=%d n2=%d d=%v", n1, n2, d)
	}
}

func TestDriftChi2SFMatchesScipy(t *testing.T) {
	for _, c := range loadScipy(t).Chi2SF {
		df, x, want := int(c[0]), c[1], c[2]
		got := chi2SF(x, df)
		closeTo(t, want, got, "chi2.sf(%v, %d)", x, df)
		if want > 1e-300 {
			assert.InEpsilon(t, want, got, 1e-9, "relative chi2.sf(%v, %d)", x, df)
		}
	}
}

func TestDriftSturgesEdgesMatchNumpyBitForBit(t *testing.T) {
	for _, c := range loadScipy(t).Sturges {
		size, lo, hi := int(c[0].(float64)), c[1].(float64), c[2].(float64)
		var want []float64
		for _, e := range c[3].([]any) {
			want = append(want, e.(float64))
		}
		got := sturgesEdges(nil, size, lo, hi)
		assert.Equal(t, want, got, "size=%d lo=%v hi=%v", size, lo, hi)
	}
}

func TestDriftKS2SampAndWassersteinMatchScipy(t *testing.T) {
	for _, c := range loadScipy(t).KS2Samp {
		a, b := thousandths(c.A), thousandths(c.B)
		var bld distBuilder
		var da, db dist
		bld.build(&da, a)
		bld.build(&db, b)
		d, p := ksPValue(ksStatistic(&da, &db), len(a), len(b))
		assert.InDelta(t, c.Statistic, d, 1e-12, "n1=%d n2=%d", len(a), len(b))
		closeTo(t, c.PValue, p, "p n1=%d n2=%d", len(a), len(b))
		closeTo(t, c.Wasserstein, wasserstein1(&da, &db), "wasserstein n1=%d n2=%d", len(a), len(b))
	}
}

func thousandths(k []int64) []float64 {
	out := make([]float64, len(k))
	for i, x := range k {
		out[i] = float64(x) / 1000
	}
	return out
}

func TestDriftSortFloats(t *testing.T) {
	in := []float64{3, -1, 0, -0.5, 2.5, math.MaxFloat64, -math.MaxFloat64, 1e-300, -1e-300}
	for len(in) < 1000 {
		in = append(in, float64(len(in)%37)-18.5, float64(len(in))*1e6)
	}
	want := append([]float64(nil), in...)
	sortSlice(want)
	tmp, keys := make([]uint64, len(in)), make([]uint64, len(in))
	sortFloats(in, tmp, keys)
	assert.Equal(t, want, in)
}

func sortSlice(v []float64) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

func TestDriftPyFloatRepr(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{1, "1.0"}, {0.24, "0.24"}, {1e-5, "1e-05"}, {1e-4, "0.0001"}, {1e16, "1e+16"},
		{1e15, "1000000000000000.0"}, {-2.5, "-2.5"}, {6.026276035162504e-32, "6.026276035162504e-32"},
		{123456789.125, "123456789.125"}, {1.5e300, "1.5e+300"}, {0, "0.0"},
	} {
		assert.Equal(t, c.want, pyFloatRepr(c.in))
	}
}
