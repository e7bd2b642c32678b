package explain

// Flat is a forest laid out for a device kernel (engine/gpu's TreeSHAP):
// struct-of-arrays, one entry per node, the trees' nodes concatenated and
// child indices global. Every value is the one the CPU algorithm reads, so
// a kernel following treeShap step by step computes the same numbers.
type Flat struct {
	// Per node.
	Left, Right []int32 // global child indices; unused at leaves
	Feature     []int32 // split feature
	CatSet      []int32 // categorical splits: index into CatSets
	Kind        []uint8 // KindLeaf, KindXGBoost, …
	Flags       []uint8 // FlagDefaultLeft | FlagMissingZero | FlagMissingNaN
	Threshold   []float64
	Value       []float64 // leaf value
	Cover       []float64 // training cover
	// Per tree.
	Roots  []int32 // global index of each tree's root
	Groups []int32 // output group of each tree
	// CatSets are the category bitsets (category c is in set s when
	// s[c/64]>>(c%64)&1).
	CatSets     [][]uint64
	NumFeatures int
	NumGroups   int
	// MaxDepth is the deepest root-to-leaf edge count over all trees.
	MaxDepth int
	// Bias is each group's expected margin (the last value of its block).
	Bias []float64
}

// Node kinds and flags of Flat, the CPU algorithm's own.
const (
	KindLeaf              = kindLeaf
	KindXGBoost           = kindXGB
	KindXGBoostCategory   = kindXGBCat
	KindLightGBM          = kindLGB
	KindLightGBMCategory  = kindLGBCat
	FlagDefaultLeft       = flagDefaultLeft
	FlagMissingZero       = flagMissingZero
	FlagMissingNaN        = flagMissingNaN
	LightGBMZeroThreshold = lgbZeroThreshold
	MaxCategory           = maxCategory
)

// Flat returns the forest's layout for a device. The forest was checked
// when it was loaded (indices in range, no cycles, positive covers).
func (f *Forest) Flat() *Flat {
	n := 0
	for _, t := range f.trees {
		n += len(t.nodes)
	}
	fl := &Flat{
		Left: make([]int32, n), Right: make([]int32, n), Feature: make([]int32, n), CatSet: make([]int32, n),
		Kind: make([]uint8, n), Flags: make([]uint8, n),
		Threshold: make([]float64, n), Value: make([]float64, n), Cover: make([]float64, n),
		Roots: make([]int32, len(f.trees)), Groups: make([]int32, len(f.trees)),
		CatSets: f.catSets, NumFeatures: f.numFeatures, NumGroups: f.numGroups,
		Bias: append([]float64(nil), f.bias...),
	}
	base := int32(0)
	for t, tr := range f.trees {
		fl.Roots[t], fl.Groups[t] = base, int32(tr.group)
		fl.MaxDepth = max(fl.MaxDepth, tr.depth)
		for k, nd := range tr.nodes {
			i := int(base) + k
			fl.Kind[i], fl.Flags[i] = nd.kind, nd.flags
			fl.Feature[i], fl.CatSet[i] = nd.feature, nd.cat
			fl.Threshold[i], fl.Value[i], fl.Cover[i] = nd.threshold, nd.value, nd.cover
			if nd.kind != kindLeaf {
				fl.Left[i], fl.Right[i] = base+nd.left, base+nd.right
			}
		}
		base += int32(len(tr.nodes))
	}
	return fl
}

// MaxDepth is the deepest tree's root-to-leaf edge count: how large a
// device kernel's path buffer must be.
func (f *Forest) MaxDepth() int {
	d := 0
	for _, t := range f.trees {
		d = max(d, t.depth)
	}
	return d
}
