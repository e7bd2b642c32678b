package model

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mlectl/mlectl/engine"
)

// LightGBM scores a LightGBM model from the Trees that LoadLightGBMTrees
// reads from model.txt, or LoadLightGBMJSONTrees from a JSON dump
// (dump_model), so the file is parsed once by one reader for scoring and
// explaining (Trees). Decisions are LightGBM's, in float64:
// x <= threshold goes left after the split's missing-value handling, and a
// categorical split sends the categories of its set left (NaN, negative
// and out-of-range values right). Each output group's margin is the sum of
// its trees' leaves in tree order starting from 0, as LightGBM's
// GBDT::PredictRaw adds them; the objective's output link follows
// (LightGBM's ConvertOutput), unless Raw.
type LightGBM struct {
	trees  *Trees
	covers bool // every tree recorded internal_count and leaf_count
	nodes  []lgbNode
	roots  []int32
	groups []int32
	link   lgbLink
	// sigmoid is the binary objective's sigmoid parameter.
	sigmoid float64
	name    string
}

// lgbNode is one node of the flattened forest; nodes of all trees are
// concatenated and left/right are absolute indices.
type lgbNode struct {
	v           float64 // threshold, or the leaf value (scaled for average_output)
	left, right int32
	feature     int32
	cat         int32
	kind        Split
	missing     Missing
	defaultLeft bool
}

// lgbLink is an objective's output transformation.
type lgbLink uint8

const (
	lgbIdentity lgbLink = iota
	lgbSigmoid          // binary: 1 / (1 + exp(-sigmoid·x))
	lgbSoftmax          // multiclass
	lgbExp              // poisson, gamma, tweedie
)

// LoadLightGBM reads a LightGBM text model (model.txt, version v2, v3 or
// v4) for scoring. raw leaves the margins untransformed. The objective
// must be one whose output link is known (regression, binary, multiclass,
// poisson, gamma, tweedie, ranking) unless raw.
func LoadLightGBM(data []byte, raw bool) (*LightGBM, error) {
	header, blocks, err := lightGBMBlocks(data)
	if err != nil {
		return nil, fmt.Errorf("lightgbm model: %w", err)
	}
	switch v := header["version"]; v {
	case "v2", "v3", "v4":
	default:
		return nil, fmt.Errorf("lightgbm model: version %q is not one of v2, v3, v4", v)
	}
	t, covers, err := lightGBMTrees(header, blocks, false)
	if err != nil {
		return nil, err
	}
	_, averaged := header["average_output"]
	return newLightGBM(t, covers, averaged, header["objective"], raw, "lightgbm model")
}

// newLightGBM finishes a LightGBM model read by either reader (model.txt
// or a JSON dump) from its Trees: the objective's output link unless raw,
// and the flattened forest. Errors start with what (the format's name).
func newLightGBM(t *Trees, covers, averaged bool, objective string, raw bool, what string) (*LightGBM, error) {
	m := &LightGBM{trees: t, covers: covers, name: "lightgbm.gbdt"}
	if averaged {
		m.name = "lightgbm.rf"
	}
	if !raw {
		var err error
		if m.link, m.sigmoid, err = lightGBMLink(objective, t.NumGroups); err != nil {
			return nil, fmt.Errorf("%s: %w (pass --raw for the margins)", what, err)
		}
	}
	if err := m.flatten(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return m, nil
}

// lightGBMLink parses model.txt's objective line (e.g. "binary sigmoid:1",
// "multiclass num_class:5") into its output link.
func lightGBMLink(objective string, groups int) (lgbLink, float64, error) {
	fields := strings.Fields(objective)
	if len(fields) == 0 {
		return 0, 0, errors.New("the file records no objective")
	}
	params := map[string]string{}
	for _, f := range fields[1:] {
		if k, v, ok := strings.Cut(f, ":"); ok {
			params[k] = v
		} else {
			params[f] = ""
		}
	}
	name := fields[0]
	switch {
	case name == "regression" || name == "regression_l1" || name == "huber" || name == "fair" ||
		name == "quantile" || name == "mape" || name == "lambdarank" || name == "rank_xendcg":
		if _, ok := params["sqrt"]; ok {
			return 0, 0, fmt.Errorf("objective %q (sqrt-transformed labels) is not supported", objective)
		}
		return lgbIdentity, 0, nil
	case name == "poisson" || name == "gamma" || name == "tweedie":
		return lgbExp, 0, nil
	case name == "binary":
		s, err := strconv.ParseFloat(params["sigmoid"], 64)
		if err != nil || !(s > 0) || math.IsInf(s, 0) || groups != 1 {
			return 0, 0, fmt.Errorf("objective %q: want a positive sigmoid:value and one output", objective)
		}
		return lgbSigmoid, s, nil
	case name == "multiclass":
		n, err := strconv.Atoi(params["num_class"])
		if err != nil || n != groups {
			return 0, 0, fmt.Errorf("objective %q: num_class must be the model's %d classes", objective, groups)
		}
		return lgbSoftmax, 0, nil
	}
	return 0, 0, fmt.Errorf("objective %q has no known output transformation", objective)
}

// flatten lays the trees out for scoring and checks what the walk relies
// on: every node of a tree reached exactly once from its root (no cycle, no
// index out of range), features in range, category sets present.
func (m *LightGBM) flatten() error {
	t := m.trees
	total := 0
	for _, tr := range t.Trees {
		total += len(tr.Nodes)
	}
	m.nodes = make([]lgbNode, 0, total)
	m.roots = make([]int32, len(t.Trees))
	m.groups = make([]int32, len(t.Trees))
	for ti, tr := range t.Trees {
		n := len(tr.Nodes)
		if n == 0 {
			return fmt.Errorf("tree %d has no nodes", ti)
		}
		base := int32(len(m.nodes))
		m.roots[ti], m.groups[ti] = base, int32(tr.Group)
		seen := make([]bool, n)
		stack := []int32{0}
		seen[0] = true
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			nd := &tr.Nodes[i]
			if nd.Split == SplitLeaf || nd.Left < 0 && nd.Right < 0 {
				continue
			}
			if nd.Feature < 0 || int(nd.Feature) >= t.NumFeatures {
				return fmt.Errorf("tree %d: node %d splits on feature %d, the model has %d", ti, i, nd.Feature, t.NumFeatures)
			}
			if nd.Split == SplitLightGBMCategory && (nd.CatSet < 0 || int(nd.CatSet) >= len(t.CatSets)) {
				return fmt.Errorf("tree %d: node %d has no category set", ti, i)
			}
			for _, c := range []int32{nd.Left, nd.Right} {
				if c < 0 || int(c) >= n || seen[c] {
					return fmt.Errorf("tree %d: node %d has child %d, not a node of the tree reached once", ti, i, c)
				}
				seen[c] = true
				stack = append(stack, c)
			}
		}
		for i := range tr.Nodes {
			if !seen[i] {
				return fmt.Errorf("tree %d: node %d is not reachable from the root", ti, i)
			}
			nd := &tr.Nodes[i]
			f := lgbNode{left: -1, right: -1, feature: nd.Feature, cat: nd.CatSet, kind: nd.Split, missing: nd.Missing, defaultLeft: nd.DefaultLeft}
			if nd.Left < 0 && nd.Right < 0 {
				f.kind, f.v = SplitLeaf, nd.Value
			} else {
				f.v, f.left, f.right = nd.Threshold, base+nd.Left, base+nd.Right
			}
			m.nodes = append(m.nodes, f)
		}
	}
	return nil
}

// NumFeatures implements engine.Model.
func (m *LightGBM) NumFeatures() int { return m.trees.NumFeatures }

// NumOutputs implements engine.Model: one per class.
func (m *LightGBM) NumOutputs() int { return m.trees.NumGroups }

// Name is "lightgbm.gbdt", or "lightgbm.rf" for an averaged forest.
func (m *LightGBM) Name() string { return m.name }

// NumTrees is the number of boosting iterations (trees per output group).
func (m *LightGBM) NumTrees() int { return len(m.roots) / max(m.trees.NumGroups, 1) }

// AbsentValue is what a sparse input's absent entries mean to LightGBM: 0.
func (m *LightGBM) AbsentValue() float64 { return 0 }

// Trees returns the ensemble with its node counts, the same value scoring
// walks (do not modify it), or an error when the file recorded no counts.
func (m *LightGBM) Trees() (*Trees, error) {
	if !m.covers {
		return nil, errors.New("lightgbm model: the file has no internal_count and leaf_count for every tree; TreeSHAP needs the node counts")
	}
	return m.trees, nil
}

// goesLeft is LightGBM's decision at split nd for feature value x.
func (nd *lgbNode) goesLeft(sets [][]uint64, x float64) bool {
	if nd.kind == SplitLightGBMCategory {
		// LightGBM (and leaves on amd64) send NaN and negative values
		// right; the bitset has no bit for values past it.
		if x != x || x <= -1 || x >= 1<<31 {
			return false
		}
		c := uint32(int32(x))
		set := sets[nd.cat]
		w := int(c / 64)
		return w < len(set) && set[w]&(1<<(c%64)) != 0
	}
	if x != x && nd.missing != MissingNaN {
		x = 0
	}
	if (nd.missing == MissingZero && x > -lgbZeroThreshold && x <= lgbZeroThreshold) ||
		(nd.missing == MissingNaN && x != x) {
		return nd.defaultLeft
	}
	return x <= nd.v
}

// lgbZeroThreshold is LightGBM's kZeroThreshold: |x| <= it counts as zero
// for the "Zero" missing type.
const lgbZeroThreshold = 1e-35

// PredictBatch implements engine.Model.
func (m *LightGBM) PredictBatch(b engine.Batch, out []float64) error {
	nf, groups := m.NumFeatures(), m.trees.NumGroups
	if b.Cols != nf {
		return fmt.Errorf("input has %d feature columns, the model expects %d", b.Cols, nf)
	}
	if len(out) != b.Rows*groups || len(b.Values) != b.Rows*b.Cols {
		return fmt.Errorf("batch of %d rows does not match %d values and %d outputs", b.Rows, len(b.Values), len(out))
	}
	nodes, sets := m.nodes, m.trees.CatSets
	for r := 0; r < b.Rows; r++ {
		row := b.Values[r*b.Cols : (r+1)*b.Cols]
		acc := out[r*groups : (r+1)*groups]
		clear(acc)
		for t, root := range m.roots {
			nd := &nodes[root]
			for nd.kind != SplitLeaf {
				if nd.goesLeft(sets, row[nd.feature]) {
					nd = &nodes[nd.left]
				} else {
					nd = &nodes[nd.right]
				}
			}
			acc[m.groups[t]] += nd.v
		}
		m.finish(acc)
	}
	return nil
}

// finish applies the output link to one row's margins in place, as
// LightGBM's ConvertOutput does.
func (m *LightGBM) finish(acc []float64) {
	switch m.link {
	case lgbSigmoid:
		acc[0] = 1 / (1 + math.Exp(-m.sigmoid*acc[0]))
	case lgbExp:
		acc[0] = math.Exp(acc[0])
	case lgbSoftmax:
		top := acc[0]
		for _, v := range acc[1:] {
			top = max(top, v)
		}
		sum := 0.0
		for i, v := range acc {
			acc[i] = math.Exp(v - top)
			sum += acc[i]
		}
		for i := range acc {
			acc[i] /= sum
		}
	}
}
