package model

import "math"

// Forest is the flattened forest of an XGBoost model, for accelerator
// backends (engine/gpu) that lay it out on a device. Node i of the forest:
// a split when Left[i] != 0, with children Left[i] (taken when x < Value[i])
// and Left[i]+1; a leaf when Left[i] == 0, whose value is Value[i]. A NaN
// feature follows DefaultLeft. A categorical split's Value holds no
// threshold: CatSet[i] indexes CatSets, and a category in the set goes right.
type Forest struct {
	Left        []int32
	Feature     []int32
	Value       []float32
	DefaultLeft []bool
	CatSet      []int32 // -1 for numeric splits and leaves
	CatSets     [][]uint64
	Roots       []int32 // root node per tree, in tree order
	Groups      []int32 // output group per tree
	NumGroups   int
	NumFeatures int
	BaseMargin  float32 // every group's sum starts here
	MaxCategory int     // categories at or above go left, as in XGBoost
}

// Forest returns the model's flattened forest. The slices are fresh copies.
func (m *XGBoostJSON) Forest() Forest {
	n := len(m.nodes)
	f := Forest{
		Left:        make([]int32, n),
		Feature:     make([]int32, n),
		Value:       make([]float32, n),
		DefaultLeft: make([]bool, n),
		CatSet:      make([]int32, n),
		CatSets:     m.catSets,
		Roots:       append([]int32(nil), m.roots...),
		Groups:      append([]int32(nil), m.groups...),
		NumGroups:   m.numGroups,
		NumFeatures: m.numFeatures,
		BaseMargin:  m.baseMargin,
		MaxCategory: maxCategory,
	}
	for i, nd := range m.nodes {
		f.Left[i], f.Feature[i], f.Value[i], f.DefaultLeft[i], f.CatSet[i] = nd.left, nd.feature, nd.value, nd.defaultLeft, -1
		if nd.categorical {
			f.CatSet[i] = int32(math.Float32bits(nd.value))
			f.Value[i] = 0
		}
	}
	return f
}

// FinishMargins turns rows of summed margins (NumGroups per row, as Forest
// sums them) into the model's outputs (NumOutputs per row): the objective's
// link, or a copy for raw margins.
func (m *XGBoostJSON) FinishMargins(acc []float32, rows int, out []float64) {
	m.finish(acc, rows, out)
}
