package explain

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// LoadLightGBM reads a LightGBM text model (model.txt, version v2/v3) with
// its internal_count and leaf_count covers. Split semantics follow
// github.com/dmitryikh/leaves, which engine/model scores these files with.
func LoadLightGBM(data []byte) (*Forest, error) {
	header, trees, err := lightGBMBlocks(data)
	if err != nil {
		return nil, fmt.Errorf("lightgbm model: %w", err)
	}
	ints := func(key string) (int, error) {
		v, err := strconv.Atoi(header[key])
		if err != nil {
			return 0, fmt.Errorf("lightgbm model: header %s=%q is not an integer", key, header[key])
		}
		return v, nil
	}
	numClass, err := ints("num_class")
	if err != nil {
		return nil, err
	}
	perIter, err := ints("num_tree_per_iteration")
	if err != nil {
		return nil, err
	}
	maxFeature, err := ints("max_feature_idx")
	if err != nil {
		return nil, err
	}
	if numClass < 1 || perIter != numClass {
		return nil, fmt.Errorf("lightgbm model: num_class %d and num_tree_per_iteration %d must be equal and positive", numClass, perIter)
	}
	if len(trees) == 0 || len(trees)%numClass != 0 {
		return nil, fmt.Errorf("lightgbm model: %d trees for %d classes", len(trees), numClass)
	}
	f := &Forest{numFeatures: maxFeature + 1, numGroups: numClass}
	if names := strings.Fields(header["feature_names"]); len(names) == f.numFeatures {
		f.features = names
	}
	scale := 1.0
	if _, ok := header["average_output"]; ok {
		scale = 1 / float64(len(trees)/numClass) // random forest: trees are averaged
	}
	for i, params := range trees {
		t, err := f.lightGBMTree(params, scale)
		if err != nil {
			return nil, fmt.Errorf("lightgbm model: tree %d: %w", i, err)
		}
		t.group = i % numClass
		f.trees = append(f.trees, t)
	}
	if err := f.finish(); err != nil {
		return nil, fmt.Errorf("lightgbm model: %w", err)
	}
	return f, nil
}

// lightGBMBlocks splits model.txt into the header's key=value pairs and one
// map per "Tree=" block, up to "end of trees".
func lightGBMBlocks(data []byte) (header map[string]string, trees []map[string]string, err error) {
	header = make(map[string]string)
	cur := header
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1<<16), 1<<28)
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
	if len(trees) == 0 {
		return nil, nil, errors.New("no trees")
	}
	return header, trees, nil
}

func (f *Forest) lightGBMTree(p map[string]string, scale float64) (tree, error) {
	numLeaves, err := strconv.Atoi(p["num_leaves"])
	if err != nil || numLeaves < 1 {
		return tree{}, fmt.Errorf("num_leaves %q is not a positive integer", p["num_leaves"])
	}
	leafValues, err := floatList(p, "leaf_value", numLeaves)
	if err != nil {
		return tree{}, err
	}
	if numLeaves == 1 {
		return tree{nodes: []node{{kind: kindLeaf, value: leafValues[0] * scale, cover: 1}}}, nil
	}
	splits := numLeaves - 1
	leafCounts, err := floatList(p, "leaf_count", numLeaves)
	if err != nil {
		return tree{}, fmt.Errorf("%w; TreeSHAP needs the node counts", err)
	}
	internalCounts, err := floatList(p, "internal_count", splits)
	if err != nil {
		return tree{}, fmt.Errorf("%w; TreeSHAP needs the node counts", err)
	}
	thresholds, err := floatList(p, "threshold", splits)
	if err != nil {
		return tree{}, err
	}
	var lists [4][]float64
	for k, key := range []string{"split_feature", "decision_type", "left_child", "right_child"} {
		if lists[k], err = floatList(p, key, splits); err != nil {
			return tree{}, err
		}
	}
	features, decisions, lefts, rights := lists[0], lists[1], lists[2], lists[3]
	var catBoundaries, catWords []float64
	if p["num_cat"] != "" && p["num_cat"] != "0" {
		if catBoundaries, err = floatList(p, "cat_boundaries", -1); err != nil {
			return tree{}, err
		}
		if catWords, err = floatList(p, "cat_threshold", -1); err != nil {
			return tree{}, err
		}
	}
	// Splits keep their indices; leaf j becomes node splits+j.
	child := func(c float64) int32 {
		if c < 0 {
			return int32(splits) + int32(-c-1)
		}
		return int32(c)
	}
	t := tree{nodes: make([]node, splits+numLeaves)}
	for i := 0; i < splits; i++ {
		nd := &t.nodes[i]
		nd.cover = internalCounts[i]
		nd.feature = int32(features[i])
		nd.left, nd.right = child(lefts[i]), child(rights[i])
		dt := uint32(decisions[i])
		if dt&2 != 0 {
			nd.flags |= flagDefaultLeft
		}
		switch (dt >> 2) & 3 {
		case 0:
		case 1:
			nd.flags |= flagMissingZero
		case 2:
			nd.flags |= flagMissingNaN
		default:
			return tree{}, fmt.Errorf("node %d has unknown missing type in decision_type %d", i, dt)
		}
		if dt&1 == 0 {
			nd.kind, nd.threshold = kindLGB, thresholds[i]
			continue
		}
		// Categorical: threshold indexes cat_boundaries, whose range of
		// cat_threshold holds a bitset of 32-bit words of the categories
		// that go left.
		ci := int(thresholds[i])
		if ci < 0 || ci+1 >= len(catBoundaries) {
			return tree{}, fmt.Errorf("node %d: categorical split %d outside cat_boundaries", i, ci)
		}
		lo, hi := int(catBoundaries[ci]), int(catBoundaries[ci+1])
		if lo < 0 || hi < lo || hi > len(catWords) {
			return tree{}, fmt.Errorf("node %d: categorical split %d outside cat_threshold", i, ci)
		}
		set := make([]uint64, (hi-lo+1)/2)
		for k, w := range catWords[lo:hi] {
			set[k/2] |= uint64(uint32(w)) << (32 * (k % 2))
		}
		nd.kind, nd.cat = kindLGBCat, int32(len(f.catSets))
		f.catSets = append(f.catSets, set)
	}
	for j := 0; j < numLeaves; j++ {
		t.nodes[splits+j] = node{kind: kindLeaf, value: leafValues[j] * scale, cover: leafCounts[j]}
	}
	return t, nil
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
