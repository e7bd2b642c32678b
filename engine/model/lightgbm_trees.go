package model

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// maxLightGBMLine bounds one line of model.txt (a tree's longest list).
const maxLightGBMLine = 1 << 28

// LoadLightGBMTrees reads a LightGBM text model (model.txt, v2 to v4) into
// Trees with its internal_count and leaf_count covers. Split semantics
// are LightGBM's (Tree::NumericalDecision, CategoricalDecision); Load scores
// these files from the same Trees (LoadLightGBM).
// Every list is checked against the count the tree declares, so what it
// allocates is bounded by the file's size.
func LoadLightGBMTrees(data []byte) (*Trees, error) {
	header, trees, err := lightGBMBlocks(data)
	if err != nil {
		return nil, fmt.Errorf("lightgbm model: %w", err)
	}
	t, _, err := lightGBMTrees(header, trees, true)
	return t, err
}

// lightGBMTrees builds Trees from model.txt's header and tree blocks. With
// needCovers a tree without internal_count and leaf_count is an error;
// without, its covers are left 0 and covers reports false.
func lightGBMTrees(header map[string]string, trees []map[string]string, needCovers bool) (out *Trees, covers bool, err error) {
	ints := func(key string) (int, error) {
		v, err := strconv.Atoi(header[key])
		if err != nil {
			return 0, fmt.Errorf("lightgbm model: header %s=%q is not an integer", key, header[key])
		}
		return v, nil
	}
	numClass, err := ints("num_class")
	if err != nil {
		return nil, false, err
	}
	perIter, err := ints("num_tree_per_iteration")
	if err != nil {
		return nil, false, err
	}
	maxFeature, err := ints("max_feature_idx")
	if err != nil {
		return nil, false, err
	}
	if numClass < 1 || numClass > maxGroups || perIter != numClass {
		return nil, false, fmt.Errorf("lightgbm model: num_class %d and num_tree_per_iteration %d must be equal and in 1..%d", numClass, perIter, maxGroups)
	}
	if maxFeature < 0 || maxFeature >= maxNumFeature {
		return nil, false, fmt.Errorf("lightgbm model: max_feature_idx %d is out of range", maxFeature)
	}
	if sizes := strings.Fields(header["tree_sizes"]); len(sizes) != 0 && len(sizes) != len(trees) {
		return nil, false, fmt.Errorf("lightgbm model: %d trees, but tree_sizes lists %d", len(trees), len(sizes))
	}
	if len(trees) == 0 || len(trees)%numClass != 0 {
		return nil, false, fmt.Errorf("lightgbm model: %d trees for %d classes", len(trees), numClass)
	}
	out = &Trees{NumFeatures: maxFeature + 1, NumGroups: numClass, Trees: make([]Tree, len(trees))}
	if names := strings.Fields(header["feature_names"]); len(names) == out.NumFeatures {
		out.Features = names
	}
	scale := 1.0
	if _, ok := header["average_output"]; ok {
		scale = 1 / float64(len(trees)/numClass) // random forest: trees are averaged
	}
	covers = true
	for i, params := range trees {
		if params["is_linear"] != "" && params["is_linear"] != "0" {
			return nil, false, fmt.Errorf("lightgbm model: tree %d is a linear tree (linear_tree=true), which is not supported", i)
		}
		nodes, hasCovers, err := out.lightGBMTree(params, scale, needCovers)
		covers = covers && hasCovers
		if err != nil {
			return nil, false, fmt.Errorf("lightgbm model: tree %d: %w", i, err)
		}
		out.Trees[i] = Tree{Nodes: nodes, Group: i % numClass}
	}
	return out, covers, nil
}

// lightGBMBlocks splits model.txt into the header's key=value pairs and one
// map per "Tree=" block, up to "end of trees".
func lightGBMBlocks(data []byte) (header map[string]string, trees []map[string]string, err error) {
	header = make(map[string]string)
	cur := header
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1<<16), min(maxLightGBMLine, len(data)+1))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "end of trees":
			return header, trees, nil
		case strings.HasPrefix(line, "Tree="):
			cur = make(map[string]string)
			trees = append(trees, cur)
		case line == "":
		default:
			if k, v, ok := strings.Cut(line, "="); ok {
				cur[k] = v
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	// LightGBM ends the trees with this line (v2 and later); without it
	// the file was cut, maybe right between two trees.
	return nil, nil, fmt.Errorf("no \"end of trees\" line after %d trees: the file is truncated", len(trees))
}

// lightGBMTree reads one tree block. Its node counts (the covers) are
// required with needCovers; without, a tree lacking them has zero covers
// and covers is false.
func (m *Trees) lightGBMTree(p map[string]string, scale float64, needCovers bool) (nodes []TreeNode, covers bool, err error) {
	numLeaves, err := strconv.Atoi(p["num_leaves"])
	if err != nil || numLeaves < 1 {
		return nil, false, fmt.Errorf("num_leaves %q is not a positive integer", p["num_leaves"])
	}
	leafValues, err := floatList(p, "leaf_value", numLeaves)
	if err != nil {
		return nil, false, err
	}
	if numLeaves == 1 {
		return []TreeNode{{Left: -1, Right: -1, CatSet: -1, Value: leafValues[0] * scale, Cover: 1}}, true, nil
	}
	splits := numLeaves - 1
	covers = true
	leafCounts, err := floatList(p, "leaf_count", numLeaves)
	if err == nil {
		var internal []float64
		if internal, err = floatList(p, "internal_count", splits); err == nil {
			leafCounts = append(internal, leafCounts...) // splits first, as the nodes
		}
	}
	if err != nil {
		if needCovers {
			return nil, false, fmt.Errorf("%w; TreeSHAP needs the node counts", err)
		}
		covers, leafCounts = false, make([]float64, splits+numLeaves)
	}
	internalCounts := leafCounts[:splits]
	leafCounts = leafCounts[splits:]
	thresholds, err := floatList(p, "threshold", splits)
	if err != nil {
		return nil, false, err
	}
	var lists [4][]float64
	for k, key := range []string{"split_feature", "decision_type", "left_child", "right_child"} {
		if lists[k], err = floatList(p, key, splits); err != nil {
			return nil, false, err
		}
	}
	features, decisions, lefts, rights := lists[0], lists[1], lists[2], lists[3]
	var catBoundaries, catWords []float64
	if p["num_cat"] != "" && p["num_cat"] != "0" {
		if catBoundaries, err = floatList(p, "cat_boundaries", -1); err != nil {
			return nil, false, err
		}
		if catWords, err = floatList(p, "cat_threshold", -1); err != nil {
			return nil, false, err
		}
	}
	// Splits keep their indices; leaf j becomes node splits+j. Indices out
	// of range are left for the caller's structural check to refuse.
	child := func(c float64) int32 {
		if c < 0 {
			if c < -float64(numLeaves) {
				return -2
			}
			return int32(splits) + int32(-c-1)
		}
		if c >= float64(splits) {
			return -2
		}
		return int32(c)
	}
	nodes = make([]TreeNode, splits+numLeaves)
	for i := 0; i < splits; i++ {
		nd := &nodes[i]
		nd.Cover = internalCounts[i]
		nd.Feature = int32(max(-1, min(features[i], float64(maxNumFeature))))
		nd.Left, nd.Right = child(lefts[i]), child(rights[i])
		nd.CatSet = -1
		dt := uint32(decisions[i])
		nd.DefaultLeft = dt&2 != 0
		switch (dt >> 2) & 3 {
		case 0:
		case 1:
			nd.Missing = MissingZero
		case 2:
			nd.Missing = MissingNaN
		default:
			return nil, false, fmt.Errorf("node %d has unknown missing type in decision_type %d", i, dt)
		}
		if dt&1 == 0 {
			nd.Split, nd.Threshold = SplitLightGBM, thresholds[i]
			continue
		}
		// Categorical: threshold indexes cat_boundaries, whose range of
		// cat_threshold holds a bitset of 32-bit words of the categories
		// that go left.
		ci := thresholds[i]
		if !(ci >= 0 && ci+1 < float64(len(catBoundaries))) {
			return nil, false, fmt.Errorf("node %d: categorical split %g outside cat_boundaries", i, ci)
		}
		lo, hi := catBoundaries[int(ci)], catBoundaries[int(ci)+1]
		if !(lo >= 0 && hi >= lo && hi <= float64(len(catWords))) {
			return nil, false, fmt.Errorf("node %d: categorical split %d outside cat_threshold", i, int(ci))
		}
		set := make([]uint64, (int(hi)-int(lo)+1)/2)
		for k, w := range catWords[int(lo):int(hi)] {
			set[k/2] |= uint64(uint32(w)) << (32 * (k % 2))
		}
		nd.Split, nd.CatSet = SplitLightGBMCategory, int32(len(m.CatSets))
		m.CatSets = append(m.CatSets, set)
	}
	for j := 0; j < numLeaves; j++ {
		nodes[splits+j] = TreeNode{Left: -1, Right: -1, CatSet: -1, Value: leafValues[j] * scale, Cover: leafCounts[j]}
	}
	return nodes, covers, nil
}

// floatList parses a space-separated list of n numbers (n < 0: any length).
func floatList(p map[string]string, key string, n int) ([]float64, error) {
	s, ok := p[key]
	if !ok {
		return nil, fmt.Errorf("no %s", key)
	}
	fields := strings.Fields(s)
	if n >= 0 && len(fields) != n {
		return nil, fmt.Errorf("%s has %d values, want %d", key, len(fields), n)
	}
	out := make([]float64, len(fields))
	for i, fs := range fields {
		v, err := strconv.ParseFloat(fs, 64)
		if err != nil {
			return nil, fmt.Errorf("%s value %q is not a number", key, fs)
		}
		out[i] = v
	}
	return out, nil
}
