package gpu

import (
	"fmt"

	"github.com/mlectl/mlectl/engine/model"
)

// LightGBM node flags (the flags word of lightgbmLayout): the split
// feature in the low bits, LightGBM's decision_type in the top ones.
const (
	lgbFeatureMask  = 0x0fffffff
	lgbMissingShift = 28 // two bits: 0 None, 1 Zero, 2 NaN (model.Missing)
	lgbCategorical  = 1 << 30
	lgbDefaultLeft  = 1 << 31
)

// lightgbmLayout is a LightGBM model's forest as the OpenCL kernel
// predict_lightgbm reads it (lightgbmKernelSource): struct of arrays, one
// entry per node, trees concatenated, children by absolute index.
type lightgbmLayout struct {
	left, right, roots, groups []int32
	flags                      []uint32
	value                      []float64 // threshold, leaf value, or (categorical) the category set's index
	catOff, catLen, catWords   []uint32
	ntrees, ngroups, cols      int
	zero                       float64
}

// layoutLightGBM flattens m for a device from engine/model's own flattened
// forest, so the device walks exactly the nodes the CPU evaluator walks.
func layoutLightGBM(m *model.LightGBM) (lightgbmLayout, error) {
	fo := m.Forest()
	n := len(fo.Left)
	l := lightgbmLayout{left: fo.Left, right: fo.Right, roots: fo.Roots, groups: fo.Groups,
		flags: make([]uint32, n), value: fo.Value,
		ntrees: len(fo.Roots), ngroups: fo.NumGroups, cols: fo.NumFeatures, zero: fo.ZeroThreshold}
	for i := range fo.Left {
		if fo.Left[i] < 0 {
			continue // a leaf: value is its output
		}
		if fo.Feature[i] < 0 || fo.Feature[i] > lgbFeatureMask {
			return lightgbmLayout{}, fmt.Errorf("node %d splits on feature %d, past the device layout's %d", i, fo.Feature[i], lgbFeatureMask)
		}
		f := uint32(fo.Feature[i]) | uint32(fo.Missing[i]&3)<<lgbMissingShift
		if fo.DefaultLeft[i] {
			f |= lgbDefaultLeft
		}
		if fo.CatSet[i] >= 0 {
			f |= lgbCategorical
			l.value[i] = float64(fo.CatSet[i]) // Forest's slices are fresh copies
		}
		l.flags[i] = f
	}
	// Category sets as 32-bit words, low half of each 64-bit word first:
	// bit c of a set is bit c%32 of word c/32.
	l.catOff = make([]uint32, len(fo.CatSets))
	l.catLen = make([]uint32, len(fo.CatSets))
	for s, set := range fo.CatSets {
		l.catOff[s] = uint32(len(l.catWords))
		for _, w := range set {
			l.catWords = append(l.catWords, uint32(w), uint32(w>>32))
		}
		l.catLen[s] = uint32(len(l.catWords)) - l.catOff[s]
	}
	return l, nil
}
