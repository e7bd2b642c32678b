package gpu

import (
	"math"

	"github.com/mlectl/mlectl/engine/model"
)

// forestLayout is a model's forest as both device kernels read it (the
// OpenCL C kernel in kernel.go and the CUDA PTX in predict_margins.ptx):
// struct-of-arrays, one entry per node, see kernelSource.
type forestLayout struct {
	left, feature, roots, groups []int32
	value                        []float32
	catOff, catLen, catWords     []uint32
	ntrees, ngroups, cols        int
	maxCategory, baseMargin      float32
}

// layoutForest flattens m for a device: the default direction and the
// categorical flag go into the feature word's top bits, a categorical
// split's value is its category set's index.
func layoutForest(m *model.XGBoostJSON) forestLayout {
	fo := m.Forest()
	n := len(fo.Left)
	l := forestLayout{left: fo.Left, roots: fo.Roots, groups: fo.Groups, feature: make([]int32, n), value: make([]float32, n),
		ntrees: len(fo.Roots), ngroups: fo.NumGroups, cols: fo.NumFeatures,
		maxCategory: float32(fo.MaxCategory), baseMargin: fo.BaseMargin}
	for i := range fo.Left {
		ft := uint32(fo.Feature[i])
		if fo.DefaultLeft[i] {
			ft |= 1 << 31
		}
		l.value[i] = fo.Value[i]
		if fo.CatSet[i] >= 0 {
			ft |= 1 << 30
			l.value[i] = math.Float32frombits(uint32(fo.CatSet[i]))
		}
		l.feature[i] = int32(ft)
	}
	l.catOff = make([]uint32, len(fo.CatSets))
	l.catLen = make([]uint32, len(fo.CatSets))
	for s, set := range fo.CatSets {
		l.catOff[s] = uint32(len(l.catWords))
		for _, w := range set {
			l.catWords = append(l.catWords, uint32(w), uint32(w>>32))
		}
		l.catLen[s] = uint32(len(l.catWords)) - l.catOff[s]
	}
	return l
}
