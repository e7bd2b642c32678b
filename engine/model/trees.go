package model

import (
	"errors"
	"fmt"
	"math"
)

// Split says how a node of Trees routes a row; each kind copies the
// semantics of the scorer that evaluates the format, so that whatever is
// computed from Trees (TreeSHAP contributions) adds up to the margins Load's
// model scores.
type Split uint8

const (
	// SplitLeaf: no split; Value is the leaf value.
	SplitLeaf Split = iota
	// SplitXGBoost: float32(x) < Threshold goes left; NaN follows DefaultLeft.
	SplitXGBoost
	// SplitXGBoostCategory: NaN follows DefaultLeft; a category in
	// CatSets[CatSet] goes right, any other (valid or not) goes left.
	SplitXGBoostCategory
	// SplitLightGBM: x <= Threshold goes left, after LightGBM's missing-value
	// handling (Missing, DefaultLeft), as LightGBM's Tree::NumericalDecision does.
	SplitLightGBM
	// SplitLightGBMCategory: a category in CatSets[CatSet] goes left; NaN,
	// negative and out-of-range values go right.
	SplitLightGBMCategory
)

// Missing is LightGBM's missing type of a numeric split.
type Missing uint8

const (
	MissingNone Missing = iota // NaN is treated as 0
	MissingZero                // |x| <= 1e-35 (and NaN) follow DefaultLeft
	MissingNaN                 // NaN follows DefaultLeft
)

// TreeNode is one node of a Trees tree. Left and Right index the tree's
// Nodes; both are -1 at a leaf.
type TreeNode struct {
	Threshold   float64 // numeric splits (XGBoost: the float32 threshold, widened exactly)
	Value       float64 // leaves, scaled by the tree weight (dart, LightGBM average_output)
	Cover       float64 // training cover: sum of hessians (XGBoost) or data count (LightGBM)
	Left, Right int32
	Feature     int32
	CatSet      int32 // categorical splits: index into Trees.CatSets; -1 otherwise
	Split       Split
	Missing     Missing
	DefaultLeft bool
}

// Tree is one tree of Trees, root at Nodes[0].
type Tree struct {
	Nodes []TreeNode
	Group int // output group (class) the tree adds to
}

// Trees is a tree ensemble as its model file describes it, with every
// node's training cover: what path-dependent TreeSHAP (engine/explain)
// needs and the scorers do not keep in their layout. LoadTrees gives it for
// every format whose files record covers.
type Trees struct {
	Trees       []Tree
	CatSets     [][]uint64 // bitsets: category c is in set s when s[c/64]>>(c%64)&1
	NumFeatures int
	NumGroups   int
	BaseMargin  float64  // every group's margin starts here
	Absent      float64  // what an absent sparse entry means: NaN (XGBoost) or 0 (LightGBM)
	Features    []string // feature names the file records, or nil
}

// LoadTrees reads a model file in the given format (FormatAuto: detected by
// content) into Trees with its node covers. The XGBoost formats go through
// the same loaders as Load (covers from sum_hessian, or the binary format's
// node statistics); LightGBM model.txt through LoadLightGBMTrees
// (internal_count and leaf_count), and a LightGBM JSON dump through
// LoadLightGBMJSONTrees (the same counts, from its nodes).
func LoadTrees(data []byte, format Format) (*Trees, error) {
	if format == FormatAuto {
		format = Detect(data)
	}
	var (
		x   *XGBoostJSON
		err error
	)
	switch format {
	case FormatXGBoostJSON:
		x, err = LoadXGBoostJSON(data, true)
	case FormatXGBoostUBJSON:
		x, err = LoadXGBoostUBJSON(data, true)
	case FormatXGBoostBinary:
		x, err = LoadXGBoostBinary(data, true)
	case FormatLightGBM:
		return LoadLightGBMTrees(data)
	case FormatLightGBMJSON:
		return LoadLightGBMJSONTrees(data)
	default:
		return nil, fmt.Errorf("unknown model format %q", format)
	}
	if err != nil {
		return nil, err
	}
	t, err := x.Trees()
	if err != nil {
		return nil, fmt.Errorf("%s model: %w", format, err)
	}
	return t, nil
}

// Trees returns the model's trees with their covers, or an error when the
// file recorded no sum_hessian for some tree.
func (m *XGBoostJSON) Trees() (*Trees, error) {
	if len(m.covers) != len(m.nodes) {
		return nil, errors.New("the file has no sum_hessian (node covers) for every tree; TreeSHAP needs them")
	}
	out := &Trees{
		Trees:       make([]Tree, len(m.roots)),
		CatSets:     m.catSets,
		NumFeatures: m.numFeatures,
		NumGroups:   m.numGroups,
		BaseMargin:  float64(m.baseMargin),
		Absent:      math.NaN(),
		Features:    m.features,
	}
	if len(out.Features) != 0 && len(out.Features) != m.numFeatures {
		out.Features = nil
	}
	for t, root := range m.roots {
		end := int32(len(m.nodes))
		if t+1 < len(m.roots) {
			end = m.roots[t+1]
		}
		nodes := make([]TreeNode, end-root)
		for i := range nodes {
			nd := &m.nodes[root+int32(i)]
			tn := &nodes[i]
			tn.Cover = float64(m.covers[root+int32(i)])
			tn.CatSet = -1
			if nd.left == 0 {
				tn.Left, tn.Right, tn.Value = -1, -1, float64(nd.value)
				continue
			}
			// The flattened forest keeps a tree's nodes together, siblings
			// adjacent (left, left+1).
			tn.Left, tn.Right = nd.left-root, nd.left-root+1
			tn.Feature, tn.DefaultLeft = nd.feature, nd.defaultLeft
			if nd.categorical {
				tn.Split, tn.CatSet = SplitXGBoostCategory, int32(math.Float32bits(nd.value))
			} else {
				tn.Split, tn.Threshold = SplitXGBoost, float64(nd.value)
			}
		}
		out.Trees[t] = Tree{Nodes: nodes, Group: int(m.groups[t])}
	}
	return out, nil
}
