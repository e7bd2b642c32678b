package model

// LightGBMForest is the flattened forest of a LightGBM model.txt, exactly
// as (*LightGBM).PredictBatch walks it, for accelerator backends
// (engine/gpu) that lay it out on a device. Node i is a leaf when
// Left[i] < 0, whose value is Value[i]; otherwise a split on Feature[i]
// with children Left[i] and Right[i] (absolute node indices):
//
//   - numeric (CatSet[i] < 0): a NaN becomes 0 unless Missing[i] is
//     MissingNaN; then a NaN (MissingNaN) or a value within ZeroThreshold of
//     zero (MissingZero) follows DefaultLeft[i]; any other value goes left
//     when x <= Value[i] (a float64 threshold);
//   - categorical (CatSet[i] >= 0): NaN, values <= -1 and values >= 2^31 go
//     right; otherwise the category uint32(int32(x)) goes left when its bit
//     is set in CatSets[CatSet[i]] (bit c%64 of word c/64), right when not
//     or past the set.
//
// Each output group's margin is the float64 sum of its trees' leaves in
// tree order starting from 0; FinishMargins applies the output link.
type LightGBMForest struct {
	Left, Right   []int32
	Feature       []int32
	Value         []float64
	Missing       []Missing
	DefaultLeft   []bool
	CatSet        []int32 // -1 for numeric splits and leaves
	CatSets       [][]uint64
	Roots         []int32 // root node per tree, in tree order
	Groups        []int32 // output group per tree
	NumGroups     int
	NumFeatures   int
	ZeroThreshold float64 // LightGBM's kZeroThreshold (1e-35)
}

// Forest returns the model's flattened forest. The slices are fresh copies
// except CatSets, which must not be modified.
func (m *LightGBM) Forest() LightGBMForest {
	n := len(m.nodes)
	f := LightGBMForest{
		Left: make([]int32, n), Right: make([]int32, n), Feature: make([]int32, n),
		Value: make([]float64, n), Missing: make([]Missing, n), DefaultLeft: make([]bool, n),
		CatSet: make([]int32, n), CatSets: m.trees.CatSets,
		Roots: append([]int32(nil), m.roots...), Groups: append([]int32(nil), m.groups...),
		NumGroups: m.trees.NumGroups, NumFeatures: m.trees.NumFeatures, ZeroThreshold: lgbZeroThreshold,
	}
	for i, nd := range m.nodes {
		f.Left[i], f.Right[i], f.Feature[i], f.Value[i] = nd.left, nd.right, nd.feature, nd.v
		f.Missing[i], f.DefaultLeft[i], f.CatSet[i] = nd.missing, nd.defaultLeft, -1
		if nd.kind == SplitLeaf {
			f.Left[i], f.Right[i], f.Feature[i], f.Missing[i], f.DefaultLeft[i] = -1, -1, 0, MissingNone, false
		} else if nd.kind == SplitLightGBMCategory {
			f.CatSet[i] = nd.cat
		}
	}
	return f
}

// FinishMargins turns rows rows of raw margins (rows × NumOutputs, the
// sums a device computed as LightGBMForest says) into the model's outputs
// in out, with the CPU evaluator's output link (none when loaded raw).
func (m *LightGBM) FinishMargins(margins []float64, rows int, out []float64) {
	groups := m.trees.NumGroups
	copy(out[:rows*groups], margins[:rows*groups])
	for r := 0; r < rows; r++ {
		m.finish(out[r*groups : (r+1)*groups])
	}
}
