package drift

import (
	"bytes"
	"math"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDriftSketchCodecRoundTrip(t *testing.T) {
	ref, _, _ := seasonFrames(t)
	num := sketchOf(t, ref.Column("registered").Values)
	require.NoError(t, num.Add(math.NaN()))
	require.NoError(t, num.Add(-3.5))
	require.NoError(t, num.Add(0))
	cat := NewCategoricalSketch()
	for _, l := range []string{"clear", "mist", "clear", "rain", ""} {
		require.NoError(t, cat.AddLabel(l))
	}
	emptyNum, err := NewNumericSketch(DefaultSketchAlpha)
	require.NoError(t, err)
	for name, s := range map[string]*Sketch{"numerical": num, "categorical": cat, "empty": emptyNum, "empty categorical": NewCategoricalSketch()} {
		t.Run(name, func(t *testing.T) {
			b, err := s.MarshalBinary()
			require.NoError(t, err)
			var back Sketch
			require.NoError(t, back.UnmarshalBinary(b))
			assert.Equal(t, s, &back)
			b2, err := back.MarshalBinary()
			require.NoError(t, err)
			assert.Equal(t, b, b2, "encoding is canonical")
		})
	}
	// Estimates from a decoded sketch are those of the original.
	b, err := num.MarshalBinary()
	require.NoError(t, err)
	var back Sketch
	require.NoError(t, back.UnmarshalBinary(b))
	e1, err := EstimateKS(num, num)
	require.NoError(t, err)
	e2, err := EstimateKS(&back, num)
	require.NoError(t, err)
	assert.Equal(t, e1, e2)
}

func TestDriftSketchCodecRejectsCorruption(t *testing.T) {
	s := sketchOf(t, []float64{0.24, 0.22, 0.5, 0.5, 1})
	good, err := s.MarshalBinary()
	require.NoError(t, err)
	for name, mutate := range map[string]func([]byte) []byte{
		"bad magic":    func(b []byte) []byte { b[0] = 'X'; return b },
		"bad version":  func(b []byte) []byte { b[4] = 9; return b },
		"bad kind":     func(b []byte) []byte { b[5] = 7; return b },
		"truncated":    func(b []byte) []byte { return b[:len(b)-3] },
		"trailing":     func(b []byte) []byte { return append(b, 0) },
		"count":        func(b []byte) []byte { b[14]++; return b }, // n after magic, version, kind, alpha
		"bucket range": func(b []byte) []byte { b[len(b)-1] ^= 0x40; return b },
	} {
		t.Run(name, func(t *testing.T) {
			var out Sketch
			err := out.UnmarshalBinary(mutate(bytes.Clone(good)))
			assert.ErrorIs(t, err, ErrBadSketch)
		})
	}
}

// FuzzSketchUnmarshal checks that decoding never panics and that whatever
// decodes re-encodes to the same bytes and merges cleanly.
func FuzzSketchUnmarshal(f *testing.F) {
	num, _ := NewNumericSketch(DefaultSketchAlpha)
	for _, v := range []float64{0.24, 0.2879, 0.81, 0, 16, 40, -1e-3, 977} {
		_ = num.Add(v)
	}
	b, _ := num.MarshalBinary()
	f.Add(b)
	cat := NewCategoricalSketch()
	_ = cat.AddLabel("Married-civ-spouse")
	_ = cat.AddLabel("Never-married")
	b, _ = cat.MarshalBinary()
	f.Add(b)
	f.Add([]byte("MLSK\x01\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Sketch
		if err := s.UnmarshalBinary(data); err != nil {
			return
		}
		again, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var s2 Sketch
		if err := s2.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-encoded sketch does not decode: %v", err)
		}
		if !reflect.DeepEqual(&s, &s2) {
			t.Fatalf("round trip changed the sketch")
		}
		if err := s2.Merge(&s); err != nil {
			t.Fatalf("merge with itself: %v", err)
		}
		if s2.Count() != 2*s.Count() {
			t.Fatalf("merged count %d, want %d", s2.Count(), 2*s.Count())
		}
	})
}
