package drift

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exactHistogram bins values the way numpy.histogram does, counting the
// values outside the edges apart: the oracle of Sketch.Histogram.
func exactHistogram(values, edges []float64) (counts []float64, below, above float64) {
	counts = make([]float64, len(edges)-1)
	for _, v := range values {
		switch {
		case v < edges[0]:
			below++
		case v > edges[len(edges)-1]:
			above++
		default:
			i := len(counts) - 1
			for j := range counts {
				if v < edges[j+1] {
					i = j
					break
				}
			}
			counts[i]++
		}
	}
	return counts, below, above
}

func TestSketchHistogram(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	integers := make([]float64, 3000)
	reals := make([]float64, 3000)
	for i := range integers {
		integers[i] = float64(rng.IntN(60) - 10) // -10..49, some outside 0..40
		reals[i] = 100 + 30*rng.NormFloat64()
	}
	for _, tc := range []struct {
		name   string
		values []float64
		edges  []float64
		exact  bool
	}{
		{"integers on a grid are exact", integers, []float64{0, 10, 20, 30, 40}, true},
		{"one bin", integers, []float64{0, 40}, true},
		{"reals within the straddling mass", reals, []float64{40, 70, 85, 100, 115, 130, 160}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewNumericSketch(DefaultSketchAlpha)
			require.NoError(t, err)
			for _, v := range tc.values {
				require.NoError(t, s.Add(v))
			}
			h, err := s.Histogram(tc.edges)
			require.NoError(t, err)
			counts, below, above := exactHistogram(tc.values, tc.edges)
			total := h.Below + h.Above
			l1 := math.Abs(h.Below-below) + math.Abs(h.Above-above)
			for i := range counts {
				total += h.Counts[i]
				l1 += math.Abs(h.Counts[i] - counts[i])
			}
			assert.InDelta(t, float64(len(tc.values)), total, 1e-6, "every value is counted once")
			if tc.exact {
				assert.Zero(t, h.Uncertain)
				assert.Equal(t, counts, h.Counts)
				assert.Equal(t, below, h.Below)
				assert.Equal(t, above, h.Above)
				return
			}
			assert.Positive(t, h.Uncertain, "continuous values straddle some edges")
			assert.LessOrEqual(t, l1, 2*h.Uncertain+1e-9, "the L1 error is bounded by the straddling mass")
			// One bucket, about 1% of the edge wide, straddles each of the 5 inner edges.
			assert.Less(t, h.Uncertain/float64(len(tc.values)), 0.1, "1%%-wide buckets straddle few values")
		})
	}
}

func TestSketchHistogramRejects(t *testing.T) {
	s, err := NewNumericSketch(DefaultSketchAlpha)
	require.NoError(t, err)
	for _, edges := range [][]float64{nil, {1}, {1, 1}, {2, 1}, {0, math.Inf(1)}, {math.NaN(), 1}} {
		_, err := s.Histogram(edges)
		assert.Error(t, err, "edges %v", edges)
	}
	_, err = NewCategoricalSketch().Histogram([]float64{0, 1})
	assert.ErrorIs(t, err, ErrSketchKind)
}

func TestSketchLabels(t *testing.T) {
	s := NewCategoricalSketch()
	for _, l := range []string{"b", "a", "c", "a", "b", "a"} {
		require.NoError(t, s.AddLabel(l))
	}
	got, err := s.Labels()
	require.NoError(t, err)
	assert.Equal(t, []LabelCount{{"a", 3}, {"b", 2}, {"c", 1}}, got)
	num, _ := NewNumericSketch(DefaultSketchAlpha)
	_, err = num.Labels()
	assert.ErrorIs(t, err, ErrSketchKind)
}
