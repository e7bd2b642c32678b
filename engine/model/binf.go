package model

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
)

// XGBoost's binary model format, as written by Booster.save_model for a name
// not ending in .json/.ubj (1.0–1.7, and 2.x on request) and, without the
// "binf" header, by XGBoost before 1.0. All integers are little-endian (the
// writer's byte order, which is little-endian on every platform XGBoost
// ships for); strings and vectors are a uint64 count followed by their
// bytes (dmlc::Stream).
//
//	"binf"                                 (absent before 1.0)
//	LearnerModelParamLegacy, 136 bytes     base_score f32, num_feature u32,
//	                                       num_class i32, contain_extra_attrs i32,
//	                                       contain_eval_metrics i32,
//	                                       major_version u32, minor_version u32,
//	                                       num_target u32 (1.7+), reserved
//	string objective, string booster
//	GBTreeModelParam, 160 bytes            num_trees i32, ..., size_leaf_vector i32 at 36
//	num_trees × RegTree:
//	  TreeParam, 148 bytes                 num_roots i32, num_nodes i32, num_deleted i32,
//	                                       max_depth i32, num_feature i32, size_leaf_vector i32
//	  num_nodes × Node, 20 bytes           parent i32, cleft i32, cright i32,
//	                                       sindex u32 (bit 31: default left), value f32
//	  num_nodes × RTreeNodeStat, 16 bytes  loss_chg f32, sum_hess f32 (the node's
//	                                       cover, kept for TreeSHAP), base_weight f32,
//	                                       leaf_child_cnt i32
//	num_trees × int32 tree_info            output group of each tree
//	dart only: vector<float> weight_drop
//	if contain_extra_attrs: vector<pair<string, string>> attributes
//	(pre-1.0 count:poisson models and eval metrics may follow; ignored)
const (
	binfHeader         = "binf"
	learnerParamSize   = 136
	gbtreeParamSize    = 160
	treeParamSize      = 148
	binfNodeSize       = 20
	binfStatSize       = 16
	maxBinfStringBytes = 1 << 20 // objective/booster names and attributes
)

// binfReader reads the binary format with every count checked against the
// bytes left, so a corrupt or hostile file fails at the offset where it
// stops making sense instead of making the loader allocate what it claims.
type binfReader struct {
	data []byte
	off  int
}

func (r *binfReader) fail(format string, args ...any) error {
	return fmt.Errorf("byte %d: %s", r.off, fmt.Sprintf(format, args...))
}

func (r *binfReader) left() int { return len(r.data) - r.off }

func (r *binfReader) take(n int, what string) ([]byte, error) {
	if n < 0 || n > r.left() {
		return nil, r.fail("%s needs %d bytes, the file has %d left (truncated?)", what, n, r.left())
	}
	b := r.data[r.off : r.off+n]
	r.off += n
	return b, nil
}

// count reads a uint64 element count and checks that count elements of
// elemSize bytes fit in what is left of the file.
func (r *binfReader) count(elemSize int, what string) (int, error) {
	b, err := r.take(8, what+" length")
	if err != nil {
		return 0, err
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(r.left()/elemSize) {
		r.off -= 8
		return 0, r.fail("%s claims %d entries of %d bytes, the file has %d bytes left", what, n, elemSize, r.left()-8)
	}
	return int(n), nil
}

func (r *binfReader) str(what string, limit int) (string, error) {
	n, err := r.count(1, what)
	if err != nil {
		return "", err
	}
	if n > limit {
		r.off -= 8
		return "", r.fail("%s is %d bytes long, more than the %d a model file holds", what, n, limit)
	}
	b, _ := r.take(n, what)
	return string(b), nil
}

func le32(b []byte, at int) int32    { return int32(binary.LittleEndian.Uint32(b[at:])) }
func lef32(b []byte, at int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b[at:])) }

// LoadXGBoostBinary parses an XGBoost binary model: the "binf" format of
// XGBoost 1.0 and later, or the headerless format of earlier versions.
// Categorical splits cannot be stored in it (XGBoost refuses), so every
// split is numeric.
func LoadXGBoostBinary(data []byte, raw bool) (*XGBoostJSON, error) {
	spec, err := decodeXGBoostBinary(data)
	if err != nil {
		return nil, fmt.Errorf("xgboost binary: %w", err)
	}
	m, err := newXGBoost(spec, raw)
	if err != nil {
		return nil, fmt.Errorf("xgboost binary: %w", err)
	}
	return m, nil
}

func decodeXGBoostBinary(data []byte) (*xgbSpec, error) {
	r := &binfReader{data: data}
	if bytes.HasPrefix(data, []byte(binfHeader)) {
		r.off = len(binfHeader)
	}
	mp, err := r.take(learnerParamSize, "learner model parameters")
	if err != nil {
		return nil, err
	}
	spec := &xgbSpec{
		baseScore:  float64(lef32(mp, 0)),
		numFeature: int(binary.LittleEndian.Uint32(mp[4:])),
		numClass:   int(le32(mp, 8)),
		numTarget:  int(binary.LittleEndian.Uint32(mp[28:])),
	}
	containAttrs := le32(mp, 12) != 0
	major := binary.LittleEndian.Uint32(mp[20:])
	// Before 1.0 the version fields were reserved (zero) and base_score was
	// saved as a margin.
	spec.baseIsMargin = major < 1
	if spec.numTarget == 0 {
		spec.numTarget = 1 // reserved (zero) before 1.7
	}
	at := r.off - learnerParamSize
	if spec.numFeature <= 0 || spec.numFeature > maxNumFeature {
		return nil, fmt.Errorf("byte %d: num_feature %d is out of range (not an XGBoost binary model?)", at+4, spec.numFeature)
	}
	if spec.numClass < 0 || spec.numClass > maxGroups || spec.numTarget > maxGroups {
		return nil, fmt.Errorf("byte %d: num_class %d / num_target %d is out of range", at+8, spec.numClass, spec.numTarget)
	}
	if spec.objective, err = r.str("objective name", 256); err != nil {
		return nil, err
	}
	if spec.booster, err = r.str("booster name", 256); err != nil {
		return nil, err
	}
	switch spec.booster {
	case "gbtree", "dart":
	case "gblinear":
		return nil, fmt.Errorf("byte %d: gblinear (linear) boosters are not supported, only tree boosters", r.off)
	default:
		return nil, fmt.Errorf("byte %d: unknown booster %q (not an XGBoost binary model?)", r.off, spec.booster)
	}
	gp, err := r.take(gbtreeParamSize, "gbtree model parameters")
	if err != nil {
		return nil, err
	}
	numTrees := le32(gp, 0)
	// Every tree needs at least its parameters and one node with its stats.
	minTree := treeParamSize + binfNodeSize + binfStatSize + 4
	if numTrees < 0 || int(numTrees) > r.left()/minTree {
		return nil, fmt.Errorf("byte %d: num_trees %d does not fit in the %d bytes left", r.off-gbtreeParamSize, numTrees, r.left())
	}
	if v := le32(gp, 36); v != 0 && v != 1 {
		return nil, fmt.Errorf("byte %d: size_leaf_vector %d (vector leaves) is not supported", r.off-gbtreeParamSize+36, v)
	}
	spec.trees = make([]xgbTree, numTrees)
	for i := range spec.trees {
		if err := r.tree(&spec.trees[i], i); err != nil {
			return nil, err
		}
	}
	ti, err := r.take(4*int(numTrees), "tree_info")
	if err != nil {
		return nil, err
	}
	spec.treeInfo = make([]int, numTrees)
	for i := range spec.treeInfo {
		spec.treeInfo[i] = int(le32(ti, 4*i))
	}
	if spec.booster == "dart" && numTrees > 0 {
		n, err := r.count(4, "dart weight_drop")
		if err != nil {
			return nil, err
		}
		w, _ := r.take(4*n, "dart weight_drop")
		spec.weights = make([]float32, n)
		for i := range spec.weights {
			spec.weights[i] = lef32(w, 4*i)
		}
	}
	if containAttrs {
		// Attributes (best_iteration, the objective's configuration) do not
		// change predictions, but reading them checks the file's end.
		n, err := r.count(16, "attributes")
		if err != nil {
			return nil, err
		}
		for i := 0; i < 2*n; i++ {
			if _, err := r.str("attribute", maxBinfStringBytes); err != nil {
				return nil, err
			}
		}
	}
	return spec, nil
}

// tree reads one RegTree into the JSON loader's node arrays.
func (r *binfReader) tree(t *xgbTree, idx int) error {
	start := r.off
	tp, err := r.take(treeParamSize, fmt.Sprintf("tree %d parameters", idx))
	if err != nil {
		return err
	}
	n := int(le32(tp, 4))
	if n <= 0 || n > r.left()/(binfNodeSize+binfStatSize) {
		return fmt.Errorf("byte %d: tree %d claims %d nodes, the file has room for %d", start+4, idx, n, r.left()/(binfNodeSize+binfStatSize))
	}
	if v := le32(tp, 20); v != 0 && v != 1 {
		return fmt.Errorf("byte %d: tree %d: size_leaf_vector %d (vector leaves) is not supported", start+20, idx, v)
	}
	nodes, _ := r.take(n*binfNodeSize, "nodes")
	stats, _ := r.take(n*binfStatSize, "node statistics") // room checked above
	t.LeftChildren = make([]int32, n)
	t.RightChildren = make([]int32, n)
	t.SplitIndices = make([]int32, n)
	t.SplitConditions = make([]float32x, n)
	t.DefaultLeft = make([]flexBool, n)
	t.SumHessian = make([]float32x, n)
	for i := 0; i < n; i++ {
		t.SumHessian[i] = float32x(lef32(stats, i*binfStatSize+4))
		nd := nodes[i*binfNodeSize:]
		left, right := le32(nd, 4), le32(nd, 8)
		sindex := binary.LittleEndian.Uint32(nd[12:])
		if left == -1 {
			right = -1 // a leaf's right field is unused
		}
		t.LeftChildren[i], t.RightChildren[i] = left, right
		t.SplitIndices[i] = int32(sindex & (1<<31 - 1))
		t.DefaultLeft[i] = sindex>>31 != 0
		t.SplitConditions[i] = float32x(lef32(nd, 16))
	}
	return nil
}
