package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
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

// lgbJSONReader reads a dump token by token (encoding/json's Decoder), so
// that what it keeps is the nodes, never a document tree: every node kept
// took at least a dozen bytes of the file. path is the JSON path of the
// value being read, for errors.
type lgbJSONReader struct {
	data []byte
	dec  *json.Decoder
	path []string
	// catWords is what category sets may still allocate, in 64-bit words.
	catWords int
	trees    *Trees
	covers   bool
}

// errorf is an error at the JSON path being read and the byte offset the
// reader has reached.
func (r *lgbJSONReader) errorf(format string, args ...any) error {
	return r.errorAt(r.dec.InputOffset(), format, args...)
}

// errorAt is an error at the JSON path being read and byte offset off.
func (r *lgbJSONReader) errorAt(off int64, format string, args ...any) error {
	path := strings.Join(r.path, "")
	if path == "" {
		path = "$"
	}
	return fmt.Errorf("%s: %s (byte %d): %s", lightGBMJSONWhat, strings.TrimPrefix(path, "."), off, fmt.Sprintf(format, args...))
}

func (r *lgbJSONReader) push(key string) { r.path = append(r.path, "."+key) }
func (r *lgbJSONReader) pop()            { r.path = r.path[:len(r.path)-1] }

// token reads the next token; the end of the input is an error.
func (r *lgbJSONReader) token() (json.Token, error) {
	t, err := r.dec.Token()
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return nil, r.errorf("the file ends early: it is truncated")
	}
	if err != nil {
		return nil, r.errorf("%v", err)
	}
	return t, nil
}

func (r *lgbJSONReader) delim(want json.Delim) error {
	t, err := r.token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return r.errorf("want %q, got %s", string(want), describeToken(t))
	}
	return nil
}

// object reads an object, calling field for each key with the reader
// positioned at its value (pushed on the path).
func (r *lgbJSONReader) object(field func(key string) error) error {
	if err := r.delim('{'); err != nil {
		return err
	}
	for r.dec.More() {
		t, err := r.token()
		if err != nil {
			return err
		}
		key, ok := t.(string)
		if !ok {
			return r.errorf("want a key, got %s", describeToken(t))
		}
		r.push(key)
		if err := field(key); err != nil {
			return err
		}
		r.pop()
	}
	return r.delim('}')
}

// skip reads and drops one value of any kind.
func (r *lgbJSONReader) skip() error {
	depth := 0
	for {
		t, err := r.token()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

func (r *lgbJSONReader) number() (float64, error) {
	t, err := r.token()
	if err != nil {
		return 0, err
	}
	v, ok := t.(float64)
	if !ok {
		return 0, r.errorf("want a number, got %s", describeToken(t))
	}
	return v, nil
}

// integer reads a whole number in [lo, hi].
func (r *lgbJSONReader) integer(lo, hi int) (int, error) {
	v, err := r.number()
	if err != nil {
		return 0, err
	}
	if v != math.Trunc(v) || v < float64(lo) || v > float64(hi) {
		return 0, r.errorf("%v is not a whole number in %d..%d", v, lo, hi)
	}
	return int(v), nil
}

func (r *lgbJSONReader) str() (string, error) {
	t, err := r.token()
	if err != nil {
		return "", err
	}
	s, ok := t.(string)
	if !ok {
		return "", r.errorf("want a string, got %s", describeToken(t))
	}
	return s, nil
}

func (r *lgbJSONReader) boolean() (bool, error) {
	t, err := r.token()
	if err != nil {
		return false, err
	}
	b, ok := t.(bool)
	if !ok {
		return false, r.errorf("want true or false, got %s", describeToken(t))
	}
	return b, nil
}

// describeToken names a token for an error.
func describeToken(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return fmt.Sprintf("the string %q", v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", t)
}

// readLightGBMJSON reads a dump into Trees, checking the header as
// model.txt's is checked (lightGBMTrees).
func readLightGBMJSON(data []byte) (*lgbDump, error) {
	r := &lgbJSONReader{data: data, dec: json.NewDecoder(bytes.NewReader(data)), catWords: max(1<<16, len(data)),
		trees: &Trees{Absent: 0}, covers: true}
	d := &lgbDump{}
	var (
		name, version              string
		numClass, perIter, maxFeat = -1, -1, -1
		features                   []string
		numLeaves                  []int
	)
	err := r.object(func(key string) (err error) {
		switch key {
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
			if err = r.delim('['); err != nil {
				return err
			}
			for r.dec.More() {
				var s string
				if s, err = r.str(); err != nil {
					return err
				}
				features = append(features, s)
			}
			err = r.delim(']')
		case "tree_info":
			if err = r.delim('['); err != nil {
				return err
			}
			for i := 0; r.dec.More(); i++ {
				r.path = append(r.path, fmt.Sprintf("[%d]", i))
				n, err := r.tree()
				if err != nil {
					return err
				}
				numLeaves = append(numLeaves, n)
				r.pop()
			}
			err = r.delim(']')
		default:
			err = r.skip()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, err := r.dec.Token(); err != io.EOF {
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

// tree reads one tree_info entry into r.trees and returns its num_leaves
// (-1 when absent).
func (r *lgbJSONReader) tree() (int, error) {
	numLeaves := -1
	var nodes []TreeNode
	seen := false
	err := r.object(func(key string) (err error) {
		switch key {
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
		return err
	})
	if err != nil {
		return 0, err
	}
	if !seen {
		return 0, r.errorf("the tree has no tree_structure")
	}
	r.trees.Trees = append(r.trees.Trees, Tree{Nodes: nodes})
	return numLeaves, nil
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
	start := r.dec.InputOffset()
	if rest := r.data; start < int64(len(rest)) {
		start += int64(len(rest[start:]) - len(bytes.TrimLeft(rest[start:], " \t\r\n:")))
	}
	nodes = append(nodes, TreeNode{Left: -1, Right: -1, CatSet: -1, Feature: -1})
	var (
		isLeaf, hasLeft, hasRight, hasThreshold, hasCount bool
		decision, missing                                 = "", ""
		threshold                                         json.Token
		err                                               error
	)
	err = r.object(func(key string) error {
		nd := &nodes[self]
		switch key {
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
			hasThreshold = true
			if threshold, err = r.token(); err == nil {
				switch threshold.(type) {
				case float64, string:
				default:
					err = r.errorf("want a number, or categories as \"a||b||c\", got %s", describeToken(threshold))
				}
			}
		case "decision_type":
			decision, err = r.str()
		case "missing_type":
			missing, err = r.str()
		case "default_left":
			nd.DefaultLeft, err = r.boolean()
		case "left_child", "right_child":
			child := int32(len(nodes))
			if nodes, err = r.node(nodes, depth+1); err != nil {
				return err
			}
			if key == "left_child" {
				nodes[self].Left, hasLeft = child, true
			} else {
				nodes[self].Right, hasRight = child, true
			}
		case "leaf_coeff", "leaf_features":
			err = r.errorf("linear trees (linear_tree=true) are not supported")
		default:
			err = r.skip()
		}
		return err
	})
	if err != nil {
		return nil, err
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
	if !hasThreshold {
		return nil, r.errorAt(start, "a split needs a threshold")
	}
	switch missing {
	case "None":
		nd.Missing = MissingNone
	case "Zero":
		nd.Missing = MissingZero
	case "NaN":
		nd.Missing = MissingNaN
	default:
		return nil, r.errorAt(start, "missing_type %q is not one of None, Zero, NaN", missing)
	}
	switch decision {
	case "<=":
		v, ok := threshold.(float64)
		if !ok {
			return nil, r.errorAt(start, "decision_type \"<=\" needs a number threshold, got %s", describeToken(threshold))
		}
		nd.Split, nd.Threshold = SplitLightGBM, v
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
func (r *lgbJSONReader) categories(threshold json.Token, start int64) ([]uint64, error) {
	var cats []string
	switch v := threshold.(type) {
	case string:
		cats = strings.Split(v, "||")
	case float64:
		cats = []string{strconv.FormatFloat(v, 'f', -1, 64)}
	}
	top := -1
	vals := make([]int, len(cats))
	for i, c := range cats {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 0 {
			return nil, r.errorAt(start, "category %q of the \"==\" threshold is not a whole number >= 0", c)
		}
		vals[i], top = n, max(top, n)
	}
	words := top/64 + 1
	if words > r.catWords {
		return nil, r.errorAt(start, "category %d needs a larger set than a file of this size can describe", top)
	}
	r.catWords -= words
	set := make([]uint64, words)
	for _, n := range vals {
		set[n/64] |= 1 << (n % 64)
	}
	return set, nil
}
