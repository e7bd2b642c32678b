package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/internal/xgbjson"
)

// xgbDoc mirrors the parts of XGBoost's JSON model schema (1.x and 2.x) that
// prediction needs; everything else in the file is ignored.
type xgbDoc struct {
	Learner struct {
		FeatureNames     []string `json:"feature_names"`
		LearnerModelParm struct {
			BaseScore  string `json:"base_score"`
			NumClass   string `json:"num_class"`
			NumFeature string `json:"num_feature"`
			NumTarget  string `json:"num_target"`
		} `json:"learner_model_param"`
		Objective struct {
			Name string `json:"name"`
		} `json:"objective"`
		GradientBooster json.RawMessage `json:"gradient_booster"`
	} `json:"learner"`
	Version []int `json:"version"`
}

type xgbBooster struct {
	Name   string     `json:"name"`
	Model  *xgbGBTree `json:"model"` // gbtree
	GBTree *struct {  // dart
		Model *xgbGBTree `json:"model"`
	} `json:"gbtree"`
	WeightDrop []float32 `json:"weight_drop"`
}

type xgbGBTree struct {
	TreeInfo []int     `json:"tree_info"`
	Trees    []xgbTree `json:"trees"`
}

type xgbTree struct {
	LeftChildren       []int32    `json:"left_children"`
	RightChildren      []int32    `json:"right_children"`
	SplitIndices       []int32    `json:"split_indices"`
	SplitConditions    []float32x `json:"split_conditions"`
	DefaultLeft        []flexBool `json:"default_left"`
	SumHessian         []float32x `json:"sum_hessian"` // node covers, for TreeSHAP
	SplitType          []int      `json:"split_type"`
	Categories         []int32    `json:"categories"`
	CategoriesNodes    []int32    `json:"categories_nodes"`
	CategoriesSegments []int64    `json:"categories_segments"`
	CategoriesSizes    []int64    `json:"categories_sizes"`
	TreeParam          struct {
		SizeLeafVector string `json:"size_leaf_vector"`
	} `json:"tree_param"`
}

// float32x is a float32 that also accepts the non-JSON tokens XGBoost writes
// for non-finite values (NaN on categorical splits), which xgbjson.QuoteNonFinite
// turns into strings before decoding.
type float32x float32

func (f *float32x) UnmarshalJSON(p []byte) error {
	s := string(p)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := strconv.ParseFloat(s, 32)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			return fmt.Errorf("split condition %s is not a number", p)
		}
	}
	*f = float32x(v)
	return nil
}

// flexBool accepts both encodings XGBoost has used for default_left: 0/1
// integers and JSON booleans.
type flexBool bool

func (b *flexBool) UnmarshalJSON(p []byte) error {
	switch string(p) {
	case "1", "true":
		*b = true
	case "0", "false":
		*b = false
	default:
		return fmt.Errorf("default_left entry %s is neither 0/1 nor a boolean", p)
	}
	return nil
}

// maxCategory mirrors XGBoost's OutOfRangeCat: category values at or above
// it (and negative ones) are invalid and go left.
const maxCategory = 1 << 24

// maxTreeDepth bounds traversal so that a malformed model cannot make the
// evaluator loop; XGBoost itself limits depth far below this.
const maxTreeDepth = 1 << 12

// xgbNode is one node of the flattened forest. Children of a split are
// adjacent: left at index left, right at left+1. left == 0 marks a leaf
// (the root of a tree is never a child), whose value is in value.
type xgbNode struct {
	value       float32 // split threshold, leaf value, or (categorical) bitset index as bits
	feature     int32
	left        int32
	defaultLeft bool
	categorical bool
}

// flatNode is the node layout of the fixed-depth evaluator used for blocks
// without missing or infinite values. A leaf has threshold +Inf and points
// to itself, so any finite row that reached it stays there however many
// levels remain; that turns traversal into exactly depth branch-free steps.
type flatNode struct {
	threshold float32
	feature   int32
	left      int32
	value     float32 // leaf value; unused at splits
}

// maxFlatDepth bounds the fixed-depth evaluator: deeper (lossguide) trees
// would waste steps on short paths and use the checked walk instead.
const maxFlatDepth = 16

// XGBoostJSON is an XGBoost tree ensemble loaded from the JSON model format.
type XGBoostJSON struct {
	nodes   []xgbNode
	flat    []flatNode // same indices as nodes
	depths  []int32    // max depth per tree
	roots   []int32    // root node per tree
	groups  []int32    // output group per tree
	hasCat  []bool     // tree has categorical splits
	catSets [][]uint64
	// covers holds each node's training cover (sum_hessian), same indices
	// as nodes, for TreeSHAP (Trees); nil when a tree of the file has none.
	covers      []float32
	noCovers    bool
	numFeatures int
	numGroups   int
	baseMargin  float32
	objective   string
	link        link
	raw         bool
	features    []string
}

// link is the transformation from summed margins to predictions.
type link int

const (
	linkIdentity link = iota
	linkSigmoid
	linkExp
	linkSoftmax
	linkArgmax
)

// objectives maps the XGBoost objectives this loader understands to their
// output link and whether base_score is stored as a probability (logit
// margin) or a mean (log margin) rather than as the margin itself.
var objectives = map[string]struct {
	link       link
	baseMargin func(float64) float64
}{
	"reg:squarederror":     {linkIdentity, identity},
	"reg:linear":           {linkIdentity, identity},
	"reg:squaredlogerror":  {linkIdentity, identity},
	"reg:pseudohubererror": {linkIdentity, identity},
	"reg:absoluteerror":    {linkIdentity, identity},
	"reg:quantileerror":    {linkIdentity, identity},
	"reg:logistic":         {linkSigmoid, logit},
	"binary:logistic":      {linkSigmoid, logit},
	"binary:logitraw":      {linkIdentity, logit},
	"binary:hinge":         {linkIdentity, identity},
	"count:poisson":        {linkExp, math.Log},
	"reg:gamma":            {linkExp, math.Log},
	"reg:tweedie":          {linkExp, math.Log},
	"multi:softprob":       {linkSoftmax, identity},
	"multi:softmax":        {linkArgmax, identity},
	"rank:pairwise":        {linkIdentity, identity},
	"rank:ndcg":            {linkIdentity, identity},
	"rank:map":             {linkIdentity, identity},
}

func identity(v float64) float64 { return v }

// logit is XGBoost's ProbToMargin for logistic objectives, in float32:
// -logf(1/p - 1).
func logit(p float64) float64 {
	q := float32(p)
	return float64(-float32(math.Log(float64(1/q - 1))))
}

// xgbSpec is an XGBoost model as every file format describes it, before
// validation: the JSON, UBJSON and binary loaders fill it and newXGBoost
// builds the evaluator from it.
type xgbSpec struct {
	numFeature, numClass, numTarget int
	// baseScore is base_score as stored: a probability or mean in user space
	// (XGBoost ≥ 1.0), or already a margin (binary models from before 1.0).
	baseScore    float64
	baseIsMargin bool
	objective    string
	booster      string
	trees        []xgbTree
	treeInfo     []int
	weights      []float32 // dart weight_drop; nil for gbtree
	features     []string
}

// LoadXGBoostJSON parses an XGBoost JSON model. With raw set, predictions are
// the summed margins (XGBoost's output_margin=True); otherwise the
// objective's transformation is applied (sigmoid, softmax, exp).
func LoadXGBoostJSON(data []byte, raw bool) (*XGBoostJSON, error) {
	spec, err := decodeXGBoostJSON(data)
	if err != nil {
		return nil, fmt.Errorf("xgboost json: %w", err)
	}
	m, err := newXGBoost(spec, raw)
	if err != nil {
		return nil, fmt.Errorf("xgboost json: %w", err)
	}
	return m, nil
}

// jsonError adds the byte offset to encoding/json's syntax and type errors,
// whose messages leave it out.
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("byte %d: %w", se.Offset, err)
	case errors.As(err, &te):
		return fmt.Errorf("byte %d: %w", te.Offset, err)
	}
	return err
}

func decodeXGBoostJSON(data []byte) (*xgbSpec, error) {
	var doc xgbDoc
	data = xgbjson.QuoteNonFinite(data)
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError(err)
	}
	if doc.Learner.GradientBooster == nil {
		return nil, errors.New("no learner.gradient_booster (not an XGBoost JSON model?)")
	}
	var booster xgbBooster
	if err := json.Unmarshal(doc.Learner.GradientBooster, &booster); err != nil {
		return nil, fmt.Errorf("gradient_booster: %w", err)
	}
	spec := &xgbSpec{booster: booster.Name, objective: doc.Learner.Objective.Name, features: doc.Learner.FeatureNames}
	gbt := booster.Model
	switch booster.Name {
	case "gbtree":
	case "dart":
		if booster.GBTree == nil {
			return nil, errors.New("dart booster without gbtree section")
		}
		gbt = booster.GBTree.Model
		spec.weights = booster.WeightDrop
	case "gblinear":
		return nil, errors.New("gblinear (linear) boosters are not supported, only tree boosters")
	default:
		return nil, fmt.Errorf("unknown booster %q", booster.Name)
	}
	if gbt == nil {
		return nil, errors.New("booster has no model section")
	}
	spec.trees, spec.treeInfo = gbt.Trees, gbt.TreeInfo

	p := doc.Learner.LearnerModelParm
	var err error
	if spec.numFeature, err = paramInt("num_feature", p.NumFeature, 0); err != nil {
		return nil, err
	}
	if spec.numClass, err = paramInt("num_class", p.NumClass, 0); err != nil {
		return nil, err
	}
	if spec.numTarget, err = paramInt("num_target", p.NumTarget, 1); err != nil {
		return nil, err
	}
	if spec.baseScore, err = xgbjson.ParseBaseScore(p.BaseScore); err != nil {
		return nil, err
	}
	return spec, nil
}

// maxNumFeature and maxGroups bound what a model file may declare; XGBoost
// itself stores both as 32-bit counts.
const (
	maxNumFeature = 1 << 24
	maxGroups     = 1 << 16
)

// newXGBoost validates a decoded model and builds its evaluator.
func newXGBoost(spec *xgbSpec, raw bool) (*XGBoostJSON, error) {
	switch spec.booster {
	case "gbtree", "dart":
	case "gblinear":
		return nil, errors.New("gblinear (linear) boosters are not supported, only tree boosters")
	default:
		return nil, fmt.Errorf("unknown booster %q", spec.booster)
	}
	numFeatures := spec.numFeature
	if numFeatures <= 0 || numFeatures > maxNumFeature {
		return nil, fmt.Errorf("num_feature %d is out of range", numFeatures)
	}
	if spec.numClass < 0 || spec.numTarget < 0 {
		return nil, fmt.Errorf("num_class %d / num_target %d is negative", spec.numClass, spec.numTarget)
	}
	numGroups := max(spec.numClass, spec.numTarget, 1)
	if numGroups > maxGroups {
		return nil, fmt.Errorf("%d output groups is out of range", numGroups)
	}
	objName := spec.objective
	obj, ok := objectives[objName]
	if !ok {
		return nil, fmt.Errorf("objective %q is not supported", objName)
	}
	baseScore := spec.baseScore
	if spec.baseIsMargin {
		// Before 1.0 base_score was saved as a margin; XGBoost turns it back
		// into user space (in float32) before taking the margin again.
		baseScore = float64(applyLink(obj.link, float32(baseScore)))
	}
	margin := obj.baseMargin(baseScore)
	if math.IsNaN(margin) || math.IsInf(margin, 0) {
		return nil, fmt.Errorf("base_score %v is invalid for objective %s", baseScore, objName)
	}
	if len(spec.trees) == 0 {
		return nil, errors.New("model has no trees")
	}
	if len(spec.treeInfo) != len(spec.trees) {
		return nil, fmt.Errorf("tree_info has %d entries for %d trees", len(spec.treeInfo), len(spec.trees))
	}
	weights := spec.weights
	if weights != nil && len(weights) != len(spec.trees) {
		return nil, fmt.Errorf("dart weight_drop has %d entries for %d trees", len(weights), len(spec.trees))
	}

	m := &XGBoostJSON{
		numFeatures: numFeatures,
		numGroups:   numGroups,
		baseMargin:  float32(margin),
		objective:   objName,
		link:        obj.link,
		raw:         raw,
		features:    spec.features,
		roots:       make([]int32, len(spec.trees)),
		depths:      make([]int32, len(spec.trees)),
		groups:      make([]int32, len(spec.trees)),
		hasCat:      make([]bool, len(spec.trees)),
	}
	for i := range spec.trees {
		g := spec.treeInfo[i]
		if g < 0 || g >= numGroups {
			return nil, fmt.Errorf("tree %d belongs to output group %d, the model has %d", i, g, numGroups)
		}
		m.groups[i] = int32(g)
		w := float32(1)
		if weights != nil {
			w = weights[i]
		}
		if err := m.addTree(&spec.trees[i], i, w); err != nil {
			return nil, err
		}
	}
	if m.noCovers {
		m.covers = nil
	}
	m.flat = make([]flatNode, len(m.nodes))
	for i, nd := range m.nodes {
		if nd.left == 0 {
			m.flat[i] = flatNode{threshold: float32(math.Inf(1)), left: int32(i), value: nd.value}
		} else {
			m.flat[i] = flatNode{threshold: nd.value, feature: nd.feature, left: nd.left}
		}
	}
	if err := m.checkInvariants(); err != nil {
		return nil, err
	}
	return m, nil
}

// applyLink is the objective's output transformation of one margin, in
// float32 as XGBoost's PredTransform computes it.
func applyLink(l link, v float32) float32 {
	switch l {
	case linkSigmoid:
		return sigmoid32(v)
	case linkExp:
		return float32(math.Exp(float64(v)))
	}
	return v
}

// checkInvariants re-verifies, on the final flattened forest, what the
// unchecked loads in walkFlat rely on: every child index and its right
// sibling are inside the forest, and every split feature is inside a row.
func (m *XGBoostJSON) checkInvariants() error {
	n := int32(len(m.flat))
	for i, nd := range m.flat {
		if nd.feature < 0 || int(nd.feature) >= m.numFeatures {
			return fmt.Errorf("internal error: node %d splits on feature %d of %d", i, nd.feature, m.numFeatures)
		}
		if nd.left == int32(i) {
			continue // leaf
		}
		if nd.left <= 0 || nd.left+1 >= n {
			return fmt.Errorf("internal error: node %d has children outside the forest", i)
		}
	}
	for _, r := range m.roots {
		if r < 0 || r >= n {
			return fmt.Errorf("internal error: tree root %d is outside the forest", r)
		}
	}
	return nil
}

func paramInt(name, s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("learner_model_param.%s %q is not an integer", name, s)
	}
	return v, nil
}

// addTree validates tree idx and appends it to the flattened forest in
// breadth-first order, so siblings end up adjacent. Leaf values are scaled by
// the dart weight w.
func (m *XGBoostJSON) addTree(t *xgbTree, idx int, w float32) error {
	if v := t.TreeParam.SizeLeafVector; v != "" && v != "0" && v != "1" {
		return fmt.Errorf("tree %d has vector leaves (multi_strategy=multi_output_tree), which are not supported", idx)
	}
	n := len(t.LeftChildren)
	if n == 0 {
		return fmt.Errorf("tree %d has no nodes", idx)
	}
	if len(t.RightChildren) != n || len(t.SplitIndices) != n || len(t.SplitConditions) != n || len(t.DefaultLeft) != n {
		return fmt.Errorf("tree %d: node arrays have different lengths (left_children %d, right_children %d, split_indices %d, split_conditions %d, default_left %d)",
			idx, n, len(t.RightChildren), len(t.SplitIndices), len(t.SplitConditions), len(t.DefaultLeft))
	}
	if len(t.SplitType) != 0 && len(t.SplitType) != n {
		return fmt.Errorf("tree %d: split_type has %d entries for %d nodes", idx, len(t.SplitType), n)
	}
	catOf, err := m.categorySets(t, idx, n)
	if err != nil {
		return err
	}
	hasCovers := len(t.SumHessian) == n
	m.noCovers = m.noCovers || !hasCovers

	base := int32(len(m.nodes))
	if len(m.nodes)+n > math.MaxInt32/2 {
		return fmt.Errorf("model is too large (%d nodes)", len(m.nodes)+n)
	}
	m.roots[idx] = base
	// queue holds original node ids in output order; pos maps them back.
	queue := make([]int32, 1, n)
	queue[0] = 0
	visited := make([]bool, n)
	visited[0] = true
	depth := make([]int32, n)
	for head := 0; head < len(queue); head++ {
		id := queue[head]
		l, r := t.LeftChildren[id], t.RightChildren[id]
		node := xgbNode{}
		if !m.noCovers {
			m.covers = append(m.covers, float32(t.SumHessian[id]))
		}
		if l == -1 {
			if r != -1 {
				return fmt.Errorf("tree %d node %d has a right child but no left child", idx, id)
			}
			node.value = float32(t.SplitConditions[id]) * w
			m.nodes = append(m.nodes, node)
			m.depths[idx] = max(m.depths[idx], depth[id])
			continue
		}
		if l <= 0 || r <= 0 || int(l) >= n || int(r) >= n || l == r {
			return fmt.Errorf("tree %d node %d has invalid children %d and %d (tree has %d nodes)", idx, id, l, r, n)
		}
		if visited[l] || visited[r] {
			return fmt.Errorf("tree %d node %d: child reached twice (cycle or shared node)", idx, id)
		}
		if depth[id] >= maxTreeDepth {
			return fmt.Errorf("tree %d is deeper than %d levels", idx, maxTreeDepth)
		}
		visited[l], visited[r] = true, true
		depth[l], depth[r] = depth[id]+1, depth[id]+1
		f := t.SplitIndices[id]
		if f < 0 || int(f) >= m.numFeatures {
			return fmt.Errorf("tree %d node %d splits on feature %d, the model has %d features", idx, id, f, m.numFeatures)
		}
		node.feature = f
		node.defaultLeft = bool(t.DefaultLeft[id])
		// Children are queued next to each other, so their output positions
		// are base + len(queue) and the one after.
		node.left = base + int32(len(queue))
		queue = append(queue, l, r)
		if len(t.SplitType) != 0 && t.SplitType[id] == 1 {
			set, ok := catOf[id]
			if !ok {
				return fmt.Errorf("tree %d node %d is a categorical split without categories", idx, id)
			}
			node.categorical = true
			node.value = math.Float32frombits(uint32(len(m.catSets)))
			m.catSets = append(m.catSets, set)
			m.hasCat[idx] = true
		} else {
			node.value = float32(t.SplitConditions[id])
		}
		m.nodes = append(m.nodes, node)
	}
	return nil
}

// categorySets builds a bitset of the categories that go right for every
// categorical split of the tree.
func (m *XGBoostJSON) categorySets(t *xgbTree, idx, n int) (map[int32][]uint64, error) {
	k := len(t.CategoriesNodes)
	if k == 0 {
		return nil, nil
	}
	if len(t.CategoriesSegments) != k || len(t.CategoriesSizes) != k {
		return nil, fmt.Errorf("tree %d: categories_nodes, categories_segments and categories_sizes differ in length", idx)
	}
	sets := make(map[int32][]uint64, k)
	for i, node := range t.CategoriesNodes {
		seg, size := t.CategoriesSegments[i], t.CategoriesSizes[i]
		if node < 0 || int(node) >= n || seg < 0 || size < 0 || seg > int64(len(t.Categories)) || size > int64(len(t.Categories))-seg {
			return nil, fmt.Errorf("tree %d: categorical split %d points outside the categories array", idx, i)
		}
		var set []uint64
		for _, c := range t.Categories[seg : seg+size] {
			if c < 0 || c >= maxCategory {
				return nil, fmt.Errorf("tree %d: category %d is out of range", idx, c)
			}
			word := int(c) / 64
			for len(set) <= word {
				set = append(set, 0)
			}
			set[word] |= 1 << (uint(c) % 64)
		}
		sets[node] = set
	}
	return sets, nil
}

// NumFeatures implements engine.Model.
func (m *XGBoostJSON) NumFeatures() int { return m.numFeatures }

// NumOutputs implements engine.Model: one value per class for multi:softprob
// (and for raw multi-class margins), otherwise one.
func (m *XGBoostJSON) NumOutputs() int {
	if m.link == linkArgmax && !m.raw {
		return 1
	}
	return m.numGroups
}

// Objective is the XGBoost objective the model was trained with.
func (m *XGBoostJSON) Objective() string { return m.objective }

// FeatureNames returns the training feature names, if the file has them.
func (m *XGBoostJSON) FeatureNames() []string { return m.features }

// NumTrees is the number of trees in the ensemble.
func (m *XGBoostJSON) NumTrees() int { return len(m.roots) }

// AbsentValue is what a sparse input's absent entries mean to XGBoost:
// missing.
func (m *XGBoostJSON) AbsentValue() float64 { return math.NaN() }

// blockRows is how many rows are pushed through one tree before moving to
// the next, keeping the tree hot in cache (XGBoost uses 64 too).
const blockRows = 64

// PredictBatch implements engine.Model. Features are narrowed to float32 and
// margins are accumulated in float32 in tree order, exactly as XGBoost's CPU
// predictor does, so results agree bit for bit before the output link.
func (m *XGBoostJSON) PredictBatch(b engine.Batch, out []float64) error {
	if b.Cols != m.numFeatures {
		return fmt.Errorf("input has %d feature columns, the model expects %d", b.Cols, m.numFeatures)
	}
	nOut := m.NumOutputs()
	if len(out) != b.Rows*nOut || len(b.Values) != b.Rows*b.Cols {
		return fmt.Errorf("batch of %d rows does not match %d values and %d outputs", b.Rows, len(b.Values), len(out))
	}
	cols := b.Cols
	feats := make([]float32, blockRows*cols)
	acc := make([]float32, blockRows*m.numGroups)
	for lo := 0; lo < b.Rows; lo += blockRows {
		n := min(blockRows, b.Rows-lo)
		src := b.Values[lo*cols : (lo+n)*cols]
		fs := feats[:n*cols]
		finite := true
		for i, v := range src {
			f := float32(v)
			fs[i] = f
			// f-f is NaN exactly for NaN and ±Inf.
			finite = finite && f-f == 0
		}
		a := acc[:n*m.numGroups]
		for i := range a {
			a[i] = m.baseMargin
		}
		m.accumulate(fs, n, a, finite)
		m.finish(a, n, out[lo*nOut:(lo+n)*nOut])
	}
	return nil
}

// accumulate adds every tree's leaf value to the per-row, per-group sums.
// finite reports that the block holds no NaN or ±Inf, which is what the
// fixed-depth evaluator needs.
func (m *XGBoostJSON) accumulate(fs []float32, n int, acc []float32, finite bool) {
	cols := m.numFeatures
	groups := m.numGroups
	nodes := m.nodes
	var idx [blockRows]int32
	for t, root := range m.roots {
		g := int(m.groups[t])
		switch {
		case m.hasCat[t]:
			for r := 0; r < n; r++ {
				acc[r*groups+g] += m.leafCat(fs[r*cols:(r+1)*cols], root)
			}
		case !finite:
			for r := 0; r < n; r++ {
				acc[r*groups+g] += leafMissing(nodes, fs[r*cols:(r+1)*cols], root)
			}
		case m.depths[t] <= maxFlatDepth:
			// Level by level over the whole block: each step of one row is
			// independent of the other rows', so their loads overlap, and
			// the child choice compiles to a conditional set, not a branch.
			ids := idx[:n]
			walkFlat(m.flat, fs, cols, ids, root, m.depths[t])
			for r, i := range ids {
				acc[r*groups+g] += m.flat[i].value
			}
		default:
			for r := 0; r < n; r++ {
				acc[r*groups+g] += leafDense(nodes, fs[r*cols:(r+1)*cols], root)
			}
		}
	}
}

// walkFlat moves every row of a block depth levels down one tree, starting
// at root, leaving each row's leaf index in ids. It is kept small so that
// the compiler holds its loop state in registers.
//
// The loads are unchecked (unsafe) because bounds checks cost a quarter of
// the throughput here; they are in range because checkInvariants proved at
// load time that every node index reachable through left/left+1 is inside
// flat and every feature is < cols, and PredictBatch hands in
// len(fs) == len(ids)*cols.
func walkFlat(flat []flatNode, fs []float32, cols int, ids []int32, root, depth int32) {
	if len(ids) == 0 {
		return
	}
	_ = fs[len(ids)*cols-1] // the unchecked loads below stay inside fs
	base := unsafe.Pointer(unsafe.SliceData(flat))
	fbase := unsafe.Pointer(unsafe.SliceData(fs))
	// Every row starts at the root: one node for the first level.
	top := flat[root]
	row := 0
	for r := range ids {
		next := top.left
		if !(*(*float32)(unsafe.Add(fbase, uintptr(row+int(top.feature))*4)) < top.threshold) {
			next++
		}
		ids[r] = next
		row += cols
	}
	for depth--; depth > 0; depth-- {
		row := 0
		for r, i := range ids {
			nd := (*flatNode)(unsafe.Add(base, uintptr(i)*unsafe.Sizeof(flatNode{})))
			next := nd.left
			if !(*(*float32)(unsafe.Add(fbase, uintptr(row+int(nd.feature))*4)) < nd.threshold) {
				next++
			}
			ids[r] = next
			row += cols
		}
	}
}

// leafDense walks from node i to a leaf for a row without missing values.
func leafDense(nodes []xgbNode, x []float32, i int32) float32 {
	for {
		nd := &nodes[i]
		if nd.left == 0 {
			return nd.value
		}
		i = nd.left
		if !(x[nd.feature] < nd.value) {
			i++
		}
	}
}

// leafMissing walks a numeric tree for a row that may hold NaN (missing),
// which follows the node's default direction.
func leafMissing(nodes []xgbNode, x []float32, i int32) float32 {
	for {
		nd := &nodes[i]
		if nd.left == 0 {
			return nd.value
		}
		v := x[nd.feature]
		i = nd.left
		if v != v {
			if !nd.defaultLeft {
				i++
			}
		} else if !(v < nd.value) {
			i++
		}
	}
}

// leafCat walks a tree with categorical splits: a category in the split's
// set goes right, any other valid or invalid category goes left, as in
// XGBoost's common::Decision.
func (m *XGBoostJSON) leafCat(x []float32, i int32) float32 {
	nodes := m.nodes
	for {
		nd := &nodes[i]
		if nd.left == 0 {
			return nd.value
		}
		v := x[nd.feature]
		i = nd.left
		switch {
		case v != v:
			if !nd.defaultLeft {
				i++
			}
		case nd.categorical:
			if v >= 0 && v < maxCategory {
				c := uint32(v)
				set := m.catSets[math.Float32bits(nd.value)]
				if w := int(c / 64); w < len(set) && set[w]&(1<<(c%64)) != 0 {
					i++
				}
			}
		case !(v < nd.value):
			i++
		}
	}
}

// finish applies the output link to n rows of margins.
func (m *XGBoostJSON) finish(acc []float32, n int, out []float64) {
	groups := m.numGroups
	if m.raw || m.link == linkIdentity {
		for i, v := range acc {
			out[i] = float64(v)
		}
		return
	}
	switch m.link {
	case linkSigmoid:
		for i, v := range acc {
			out[i] = float64(sigmoid32(v))
		}
	case linkExp:
		for i, v := range acc {
			out[i] = float64(float32(math.Exp(float64(v))))
		}
	case linkSoftmax:
		for r := 0; r < n; r++ {
			softmax32(acc[r*groups:(r+1)*groups], out[r*groups:(r+1)*groups])
		}
	case linkArgmax:
		for r := 0; r < n; r++ {
			row := acc[r*groups : (r+1)*groups]
			best := 0
			for k, v := range row {
				if v > row[best] {
					best = k
				}
			}
			out[r] = float64(best)
		}
	}
}

// sigmoid32 is XGBoost's common::Sigmoid: 1/(1+expf(-x)) in float32.
func sigmoid32(x float32) float32 {
	return 1 / (1 + float32(math.Exp(float64(-x))))
}

// softmax32 is XGBoost's common::Softmax in float32: subtract the maximum,
// exponentiate, normalise.
func softmax32(in []float32, out []float64) {
	wmax := in[0]
	for _, v := range in[1:] {
		wmax = max(wmax, v)
	}
	var sum float32
	for _, v := range in {
		sum += float32(math.Exp(float64(v - wmax)))
	}
	for k, v := range in {
		out[k] = float64(float32(math.Exp(float64(v-wmax))) / sum)
	}
}
