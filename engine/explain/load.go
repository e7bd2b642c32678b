package explain

import (
	"fmt"

	"github.com/mlectl/mlectl/engine/model"
)

// Load reads a model file in the given format (model.FormatAuto: detected
// by content) into a Forest with its covers, through engine/model's
// loaders (model.LoadTrees), the same ones the scorers use.
func Load(data []byte, format model.Format) (*Forest, error) {
	if format == model.FormatAuto {
		format = model.Detect(data)
	}
	t, err := model.LoadTrees(data, format)
	if err != nil {
		return nil, err
	}
	f, err := FromTrees(t)
	if err != nil {
		return nil, fmt.Errorf("%s model: %w", format, err)
	}
	return f, nil
}

// FromTrees lays out a loaded ensemble for TreeSHAP and checks what the
// algorithm relies on: every node reached once, features in range, positive
// covers at splits.
func FromTrees(t *model.Trees) (*Forest, error) {
	f := &Forest{
		numFeatures: t.NumFeatures,
		numGroups:   t.NumGroups,
		baseMargin:  t.BaseMargin,
		absent:      t.Absent,
		features:    t.Features,
		catSets:     t.CatSets,
		trees:       make([]tree, len(t.Trees)),
	}
	for i, mt := range t.Trees {
		nodes := make([]node, len(mt.Nodes))
		for k, mn := range mt.Nodes {
			nd := &nodes[k]
			nd.cover, nd.value, nd.threshold = mn.Cover, mn.Value, mn.Threshold
			nd.left, nd.right, nd.feature, nd.cat = mn.Left, mn.Right, mn.Feature, mn.CatSet
			nd.kind = splitKinds[mn.Split]
			if mn.DefaultLeft {
				nd.flags |= flagDefaultLeft
			}
			switch mn.Missing {
			case model.MissingZero:
				nd.flags |= flagMissingZero
			case model.MissingNaN:
				nd.flags |= flagMissingNaN
			}
		}
		f.trees[i] = tree{nodes: nodes, group: mt.Group}
	}
	if err := f.finish(); err != nil {
		return nil, err
	}
	return f, nil
}

// splitKinds maps engine/model's split kinds to this package's.
var splitKinds = [...]uint8{
	model.SplitLeaf:             kindLeaf,
	model.SplitXGBoost:          kindXGB,
	model.SplitXGBoostCategory:  kindXGBCat,
	model.SplitLightGBM:         kindLGB,
	model.SplitLightGBMCategory: kindLGBCat,
}
