package baseline

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smallSelectBudgets makes a column of a few thousand values take the
// multi-pass path a column of millions takes.
func smallSelectBudgets(t *testing.T, keys int64, buckets int) {
	oldK, oldB := selectCollectKeys, selectBuckets
	selectCollectKeys, selectBuckets = keys, buckets
	t.Cleanup(func() { selectCollectKeys, selectBuckets = oldK, oldB })
}

// shuffledSource replays values in a different order on every pass, in
// uneven batches, as row groups and pages would.
func shuffledSource(values []float64, seed uint64) valueSource {
	rng := rand.New(rand.NewPCG(seed, 1))
	return func(visit func([]float64)) error {
		v := slices.Clone(values)
		rng.Shuffle(len(v), func(i, j int) { v[i], v[j] = v[j], v[i] })
		for len(v) > 0 {
			k := min(len(v), 1+rng.IntN(700))
			visit(v[:k])
			v = v[k:]
		}
		return nil
	}
}

func TestOrderStatisticsMatchSorting(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	gen := func(n int, f func(i int) float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = f(i)
		}
		return v
	}
	columns := []struct {
		name   string
		values []float64
	}{
		{"normal", gen(20000, func(int) float64 { return 15 + 8*rng.NormFloat64() })},
		{"uniform in [0,1)", gen(20000, func(int) float64 { return rng.Float64() })},
		{"few integers", gen(20000, func(int) float64 { return float64(rng.IntN(24)) })},
		{"one value", gen(5000, func(int) float64 { return 3 })},
		{"heavy tail and signs", gen(20000, func(int) float64 { return math.Pow(rng.Float64(), -3) * float64(rng.IntN(3)-1) })},
		{"neighbouring floats", gen(20000, func(i int) float64 { return math.Nextafter(1, 2) + float64(i%7)*1e-16 })},
		{"zeros of both signs and infinities", gen(20000, func(i int) float64 {
			return []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), 1e-310}[i%7]
		})},
	}
	budgets := []struct {
		name    string
		keys    int64
		buckets int
	}{
		{"in one pass", 1 << 20, 1 << 18},
		{"many passes", 300, 64},
		{"tiny buckets", 50, 2},
	}
	for _, col := range columns {
		sorted := slices.Clone(col.values)
		slices.SortFunc(sorted, func(a, b float64) int { return compareKeys(sortKey(a), sortKey(b)) })
		n := int64(len(sorted))
		ranks := []int64{0, 1, 2, n / 3, n/3 + 1, n / 2, n - 2, n - 1}
		for i := range min(n, MaxSample) {
			ranks = append(ranks, sampleRank(n, i))
		}
		slices.Sort(ranks)
		ranks = slices.Compact(ranks)
		for _, bd := range budgets {
			t.Run(col.name+"/"+bd.name, func(t *testing.T) {
				smallSelectBudgets(t, bd.keys, bd.buckets)
				seen := 0
				got, passes, err := orderStatistics(n, ranks, shuffledSource(col.values, 4), func(b []float64) { seen += len(b) })
				require.NoError(t, err)
				assert.Equal(t, len(col.values), seen, "the first pass sees every value")
				for i, r := range ranks {
					require.Equal(t, math.Float64bits(sorted[r]), math.Float64bits(got[i]), "rank %d", r)
				}
				switch {
				case col.name == "one value":
					assert.Equal(t, 1, passes, "a bucket of one repeated value settles without a second read")
				case bd.keys < n:
					assert.Greater(t, passes, 1)
				}
				t.Logf("%d passes", passes)
			})
		}
	}
}

func compareKeys(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestOrderStatisticsRefuseAChangedColumn: a source that replays other
// values on a second read (a file rewritten under the reader) is an error,
// not a wrong profile.
func TestOrderStatisticsRefuseAChangedColumn(t *testing.T) {
	smallSelectBudgets(t, 10, 4)
	values := make([]float64, 1000)
	for i := range values {
		values[i] = float64(i)
	}
	reads := 0
	src := func(visit func([]float64)) error {
		reads++
		if reads > 1 {
			visit(values[:500])
			return nil
		}
		visit(values)
		return nil
	}
	_, _, err := orderStatistics(1000, []int64{0, 500, 999}, src, nil)
	require.ErrorIs(t, err, errColumnChanged)
}
