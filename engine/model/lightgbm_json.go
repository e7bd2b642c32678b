package model

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// lightGBMJSONWhat prefixes the JSON dump reader's errors.
const lightGBMJSONWhat = "lightgbm-json model"

// LoadLightGBMJSON reads a LightGBM JSON dump (Booster.dump_model()) for
// scoring, into the same Trees and evaluator as model.txt (LoadLightGBM),
// so a dump scores bit-equal to the model.txt it was dumped with. raw
// leaves the margins untransformed; without raw the dump must record its
// objective (dumps of LightGBM before 3.0 do not).
func LoadLightGBMJSON(data []byte, raw bool) (*LightGBM, error) {
	d, err := readLightGBMJSON(data)
	if err != nil {
		return nil, err
	}
	return newLightGBM(d.trees, d.covers, d.averaged, d.objective, raw, lightGBMJSONWhat)
}

// LoadLightGBMJSONTrees reads a LightGBM JSON dump into Trees with its
// internal_count and leaf_count covers, for TreeSHAP; a dump without them
// for every node is an error.
func LoadLightGBMJSONTrees(data []byte) (*Trees, error) {
	d, err := readLightGBMJSON(data)
	if err != nil {
		return nil, err
	}
	if !d.covers {
		return nil, errors.New(lightGBMJSONWhat + ": the dump has no internal_count and leaf_count for every node; TreeSHAP needs the node counts")
	}
	return d.trees, nil
}

// lgbDump is what readLightGBMJSON keeps of a dump.
type lgbDump struct {
	trees     *Trees
	covers    bool
	averaged  bool
	objective string
}

// maxLightGBMJSONDepth bounds the nesting of a dump's tree nodes, so a
// hostile file cannot recurse without end; LightGBM trees are far
// shallower.
const maxLightGBMJSONDepth = 1 << 12

// lgbJSONReader reads a dump in one pass over its bytes (jsonScanner),
// keeping only the nodes, never a document tree: every node kept took at
// least a dozen bytes of the file. Nothing is allocated per token or per
// node but the tree's nodes themselves, copied once, at their size, out of
// a scratch slice that is reused from tree to tree.
type lgbJSONReader struct {
	jsonScanner
	// catWords is what category sets may still allocate, in 64-bit words.
	catWords int
	trees    *Trees
	covers   bool
	// nodes is the tree being read, in preorder.
	nodes []TreeNode
}

// readLightGBMJSON reads a dump into Trees, checking the header as
// model.txt's is checked (lightGBMTrees).
func readLightGBMJSON(data []byte) (*lgbDump, error) {
	r := &lgbJSONReader{jsonScanner: jsonScanner{data: data, what: lightGBMJSONWhat}, catWords: max(1<<16, len(data)),
		trees: &Trees{Absent: 0}, covers: true}
	d := &lgbDump{}
	var (
		name, version              string
		numClass, perIter, maxFeat = -1, -1, -1
		features                   []string
		numLeaves                  []int
	)
	if err := r.begin('{'); err != nil {
		return nil, err
	}
	for first := true; ; first = false {
		key, ok, err := r.nextKey(first)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		r.pushKey(key)
		switch string(key) {
		case "name":
			name, err = r.str()
		case "version":
			version, err = r.str()
		case "num_class":
			numClass, err = r.integer(1, maxGroups)
		case "num_tree_per_iteration":
			perIter, err = r.integer(1, maxGroups)
		case "max_feature_idx":
			maxFeat, err = r.integer(0, maxNumFeature-1)
		case "objective":
			d.objective, err = r.str()
		case "average_output":
			d.averaged, err = r.boolean()
		case "feature_names":
			features, err = r.stringList(features)
		case "tree_info":
			numLeaves, err = r.treeInfo(numLeaves)
		default:
			err = r.skip()
		}
		if err != nil {
			return nil, err
		}
		r.pop()
	}
	if !r.atEnd() {
		return nil, r.errorf("data after the end of the dump")
	}
	fail := func(format string, args ...any) (*lgbDump, error) {
		return nil, fmt.Errorf("%s: %s", lightGBMJSONWhat, fmt.Sprintf(format, args...))
	}
	switch {
	case name != "tree":
		return fail("name is %q, not \"tree\": not a LightGBM dump_model() document", name)
	case version != "v2" && version != "v3" && version != "v4":
		return fail("version %q is not one of v2, v3, v4", version)
	case numClass < 0 || perIter < 0 || maxFeat < 0:
		return fail("num_class, num_tree_per_iteration and max_feature_idx are required")
	case perIter != numClass:
		return fail("num_class %d and num_tree_per_iteration %d must be equal", numClass, perIter)
	}
	t := r.trees
	t.NumFeatures, t.NumGroups = maxFeat+1, numClass
	if len(t.Trees) == 0 || len(t.Trees)%numClass != 0 {
		return fail("%d trees for %d classes", len(t.Trees), numClass)
	}
	if len(features) == t.NumFeatures {
		t.Features = features
	}
	scale := 1.0
	if d.averaged {
		scale = 1 / float64(len(t.Trees)/numClass) // random forest: trees are averaged
	}
	for i := range t.Trees {
		tr := &t.Trees[i]
		tr.Group = i % numClass
		leaves := 0
		for j := range tr.Nodes {
			if nd := &tr.Nodes[j]; nd.Left < 0 {
				nd.Value *= scale
				leaves++
			}
		}
		if numLeaves[i] >= 0 && numLeaves[i] != leaves {
			return fail("tree_info[%d]: num_leaves is %d, tree_structure has %d leaves", i, numLeaves[i], leaves)
		}
	}
	d.trees, d.covers = t, r.covers
	return d, nil
}

// stringList reads an array of strings onto list.
func (r *lgbJSONReader) stringList(list []string) ([]string, error) {
	return readArray(r, list, r.str)
}

// readArray reads a JSON array whose elements elem reads, appending them
// to list; the path names each element by its index.
func readArray[T any](r *lgbJSONReader, list []T, elem func() (T, error)) ([]T, error) {
	if err := r.begin('['); err != nil {
		return nil, err
	}
	for i := 0; ; i++ {
		ok, err := r.nextElem(i == 0)
		if err != nil {
			return nil, err
		}
		if !ok {
			return list, nil
		}
		r.pushIndex(i)
		v, err := elem()
		if err != nil {
			return nil, err
		}
		r.pop()
		list = append(list, v)
	}
}

// treeInfo reads tree_info, the trees, into r.trees and appends their
// num_leaves to numLeaves.
func (r *lgbJSONReader) treeInfo(numLeaves []int) ([]int, error) {
	return readArray(r, numLeaves, r.tree)
}

// tree reads one tree_info entry into r.trees and returns its num_leaves
// (-1 when absent).
func (r *lgbJSONReader) tree() (int, error) {
	numLeaves := -1
	nodes := r.nodes[:0]
	seen := false
	if err := r.begin('{'); err != nil {
		return 0, err
	}
	for first := true; ; first = false {
		key, ok, err := r.nextKey(first)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		r.pushKey(key)
		switch string(key) {
		case "num_leaves":
			numLeaves, err = r.integer(1, math.MaxInt32)
		case "is_linear":
			var linear bool
			if linear, err = r.boolean(); err == nil && linear {
				err = r.errorf("linear trees (linear_tree=true) are not supported")
			}
		case "tree_structure":
			seen = true
			before := r.covers
			r.covers = true
			nodes, err = r.node(nodes, 0)
			if err == nil && len(nodes) == 1 && !r.covers {
				// A one-leaf tree records no count; model.txt's reader
				// gives it cover 1 too.
				r.covers, nodes[0].Cover = true, 1
			}
			r.covers = r.covers && before
		default:
			err = r.skip()
		}
		if err != nil {
			return 0, err
		}
		r.pop()
	}
	r.nodes = nodes[:0]
	if !seen {
		return 0, r.errorf("the tree has no tree_structure")
	}
	r.trees.Trees = append(r.trees.Trees, Tree{Nodes: append([]TreeNode(nil), nodes...)})
	return numLeaves, nil
}

// lgbThreshold is a split's threshold as the dump writes it: a number, or
// a string of categories.
type lgbThreshold struct {
	seen   bool
	number bool
	value  float64
	cats   []byte // the string's text
	at     int    // where it starts in the file
}

// node reads a node object (a split or a leaf) and its subtree into nodes,
// in preorder: the node at len(nodes), its left subtree next, then its
// right one.
func (r *lgbJSONReader) node(nodes []TreeNode, depth int) ([]TreeNode, error) {
	if depth >= maxLightGBMJSONDepth {
		return nil, r.errorf("tree nodes nested deeper than %d levels", maxLightGBMJSONDepth)
	}
	self := len(nodes)
	// Errors found once the node is read name where it starts.
	r.space()
	start := r.pos
	nodes = append(nodes, TreeNode{Left: -1, Right: -1, CatSet: -1, Feature: -1})
	var (
		isLeaf, hasLeft, hasRight, hasCount bool
		decision, missing                   []byte
		threshold                           lgbThreshold
	)
	if err := r.begin('{'); err != nil {
		return nil, err
	}
	for first := true; ; first = false {
		key, ok, err := r.nextKey(first)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		r.pushKey(key)
		nd := &nodes[self]
		switch string(key) {
		case "leaf_value":
			isLeaf = true
			nd.Value, err = r.number()
		case "leaf_count", "internal_count":
			hasCount = true
			nd.Cover, err = r.number()
		case "split_feature":
			var f int
			f, err = r.integer(0, maxNumFeature-1)
			nd.Feature = int32(f)
		case "threshold":
			c := r.peek()
			threshold = lgbThreshold{seen: true, at: r.pos}
			switch {
			case isNumberStart(c):
				threshold.number = true
				threshold.value, err = r.number()
			case c == '"':
				threshold.cats, err = r.stringBytes()
			case r.pos >= len(r.data):
				err = r.truncated()
			default:
				err = r.errorf("want a number, or categories as \"a||b||c\", got %s", r.describe(r.pos))
			}
		case "decision_type":
			decision, err = r.stringBytes()
		case "missing_type":
			missing, err = r.stringBytes()
		case "default_left":
			nd.DefaultLeft, err = r.boolean()
		case "left_child", "right_child":
			child := int32(len(nodes))
			if nodes, err = r.node(nodes, depth+1); err != nil {
				return nil, err
			}
			if string(key) == "left_child" {
				nodes[self].Left, hasLeft = child, true
			} else {
				nodes[self].Right, hasRight = child, true
			}
		case "leaf_coeff", "leaf_features":
			err = r.errorf("linear trees (linear_tree=true) are not supported")
		default:
			err = r.skip()
		}
		if err != nil {
			return nil, err
		}
		r.pop()
	}
	nd := &nodes[self]
	if !hasCount {
		r.covers = false
	}
	if isLeaf || !hasLeft && !hasRight {
		if !isLeaf || hasLeft || hasRight {
			return nil, r.errorAt(start, "a node needs either leaf_value or both left_child and right_child")
		}
		nd.Left, nd.Right, nd.Feature = -1, -1, 0
		return nodes, nil
	}
	if !hasLeft || !hasRight {
		return nil, r.errorAt(start, "a split needs both left_child and right_child")
	}
	if nd.Feature < 0 {
		return nil, r.errorAt(start, "a split needs split_feature")
	}
	if !threshold.seen {
		return nil, r.errorAt(start, "a split needs a threshold")
	}
	switch string(missing) {
	case "None":
		nd.Missing = MissingNone
	case "Zero":
		nd.Missing = MissingZero
	case "NaN":
		nd.Missing = MissingNaN
	default:
		return nil, r.errorAt(start, "missing_type %q is not one of None, Zero, NaN", missing)
	}
	switch string(decision) {
	case "<=":
		if !threshold.number {
			return nil, r.errorAt(start, "decision_type \"<=\" needs a number threshold, got %s", r.describe(threshold.at))
		}
		nd.Split, nd.Threshold = SplitLightGBM, threshold.value
	case "==":
		set, err := r.categories(threshold, start)
		if err != nil {
			return nil, err
		}
		nd.Split, nd.CatSet = SplitLightGBMCategory, int32(len(r.trees.CatSets))
		r.trees.CatSets = append(r.trees.CatSets, set)
	default:
		return nil, r.errorAt(start, "decision_type %q is not \"<=\" or \"==\"", decision)
	}
	return nodes, nil
}

// categories parses a categorical split's threshold, the categories that
// go left ("1||3||5", as LightGBM dumps them, or one number), into a
// bitset. Sets together may hold as many words as the file has bytes (64K
// at least), so a hostile category cannot size a huge allocation.
func (r *lgbJSONReader) categories(threshold lgbThreshold, start int) ([]uint64, error) {
	cats := threshold.cats
	if threshold.number {
		cats = []byte(strconv.FormatFloat(threshold.value, 'f', -1, 64))
	}
	// Two passes over the list, one to check it and size the set, one to
	// fill it, rather than a slice of the numbers.
	top := -1
	for rest, more := cats, true; more; {
		var c []byte
		c, rest, more = bytes.Cut(rest, []byte("||"))
		n, err := strconv.Atoi(string(bytes.TrimSpace(c)))
		if err != nil || n < 0 {
			return nil, r.errorAt(start, "category %q of the \"==\" threshold is not a whole number >= 0", c)
		}
		top = max(top, n)
	}
	words := top/64 + 1
	if words > r.catWords {
		return nil, r.errorAt(start, "category %d needs a larger set than a file of this size can describe", top)
	}
	r.catWords -= words
	set := make([]uint64, words)
	for rest, more := cats, true; more; {
		var c []byte
		c, rest, more = bytes.Cut(rest, []byte("||"))
		n, _ := strconv.Atoi(string(bytes.TrimSpace(c)))
		set[n/64] |= 1 << (n % 64)
	}
	return set, nil
}
