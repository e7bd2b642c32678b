package explain

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/mlectl/mlectl/engine"
)

// decision kinds: which scorer's split semantics a node follows.
const (
	kindLeaf   uint8 = iota
	kindXGB          // XGBoost numeric: float32(x) < threshold, NaN → default
	kindXGBCat       // XGBoost categorical: category in set → right
	kindLGB          // LightGBM numeric (leaves' numericalDecision)
	kindLGBCat       // LightGBM categorical (leaves' categoricalDecision)
)

// LightGBM node flags (the missing type and default direction of the split).
const (
	flagDefaultLeft uint8 = 1 << iota
	flagMissingZero
	flagMissingNaN
)

// lgbZeroThreshold is LightGBM's kZeroThreshold: |x| <= it counts as zero
// for the "Zero" missing type.
const lgbZeroThreshold = 1e-35

// maxCategory mirrors XGBoost's OutOfRangeCat.
const maxCategory = 1 << 24

// node is one node of a tree. left/right are indices inside the tree;
// a leaf has kind kindLeaf and its value in value.
type node struct {
	threshold float64 // XGBoost: the float32 threshold, widened exactly
	value     float64 // leaf value (scaled by the tree weight)
	cover     float64 // training cover: hessian sum or data count
	left      int32
	right     int32
	feature   int32
	cat       int32 // categorical splits: index into Forest.catSets
	kind      uint8
	flags     uint8
}

// tree is one tree of the forest.
type tree struct {
	nodes []node
	group int
	depth int // longest root-to-leaf edge count
}

// Forest is a tree ensemble with the node covers TreeSHAP needs.
type Forest struct {
	trees       []tree
	catSets     [][]uint64 // bitsets: category c is in set s when s[c/64]>>(c%64)&1
	numFeatures int
	numGroups   int
	baseMargin  float64 // added to the bias of every group
	absent      float64 // what an absent sparse entry means: NaN (XGBoost) or 0 (LightGBM)
	features    []string
	bias        []float64 // per group: baseMargin + Σ expected value of its trees
	pathLen     int       // path buffer elements for the deepest tree
}

// NumFeatures is the number of feature columns a batch must have.
func (f *Forest) NumFeatures() int { return f.numFeatures }

// NumGroups is the number of output groups (classes of a multi-class model).
func (f *Forest) NumGroups() int { return f.numGroups }

// AbsentValue is what an entry a sparse (libsvm) row leaves out means to
// the model family: missing (NaN) for XGBoost, 0 for LightGBM.
func (f *Forest) AbsentValue() float64 { return f.absent }

// NumTrees is the number of trees.
func (f *Forest) NumTrees() int { return len(f.trees) }

// FeatureNames returns the feature names the model file records, if any.
func (f *Forest) FeatureNames() []string { return f.features }

// Width is the number of values Explain writes per row:
// NumGroups × (NumFeatures + 1).
func (f *Forest) Width() int { return f.numGroups * (f.numFeatures + 1) }

// Bias is the expected margin of group g over the training data (the last
// value of each group's contributions).
func (f *Forest) Bias(g int) float64 { return f.bias[g] }

// finish validates the trees and computes depths, expected values and the
// path buffer size. Loaders call it once all trees are in.
func (f *Forest) finish() error {
	if f.numFeatures <= 0 {
		return fmt.Errorf("model has no features")
	}
	if f.numGroups <= 0 || f.numGroups > len(f.trees) {
		return fmt.Errorf("model has %d output groups for %d trees", f.numGroups, len(f.trees))
	}
	f.bias = make([]float64, f.numGroups)
	for g := range f.bias {
		f.bias[g] = f.baseMargin
	}
	maxDepth := 0
	for i := range f.trees {
		t := &f.trees[i]
		if t.group < 0 || t.group >= f.numGroups {
			return fmt.Errorf("tree %d belongs to output group %d, the model has %d", i, t.group, f.numGroups)
		}
		mean, depth, err := t.check(f, 0, 0, make([]bool, len(t.nodes)))
		if err != nil {
			return fmt.Errorf("tree %d: %w", i, err)
		}
		t.depth = depth
		maxDepth = max(maxDepth, depth)
		f.bias[t.group] += mean
	}
	// XGBoost sizes the path buffer (maxd+2)(maxd+3)/2: one frame per
	// level plus the dummy root element, each frame one longer.
	d := maxDepth + 2
	f.pathLen = d * (d + 1) / 2
	return nil
}

// maxTreeDepth bounds recursion on malformed files.
const maxTreeDepth = 1 << 10

// check walks the subtree at i: indices in range, every node reached once
// (no cycles or shared subtrees), features in range, covers positive at
// splits, depth bounded. It returns the subtree's cover-weighted mean leaf
// value and its depth.
func (t *tree) check(f *Forest, i int32, depth int, seen []bool) (mean float64, maxDepth int, err error) {
	if depth > maxTreeDepth {
		return 0, 0, fmt.Errorf("deeper than %d levels", maxTreeDepth)
	}
	if i < 0 || int(i) >= len(t.nodes) {
		return 0, 0, fmt.Errorf("child index %d outside the tree's %d nodes", i, len(t.nodes))
	}
	if seen[i] {
		return 0, 0, fmt.Errorf("node %d is reached twice (cycle or shared node)", i)
	}
	seen[i] = true
	nd := &t.nodes[i]
	if nd.kind == kindLeaf {
		return nd.value, depth, nil
	}
	if nd.feature < 0 || int(nd.feature) >= f.numFeatures {
		return 0, 0, fmt.Errorf("node %d splits on feature %d, the model has %d", i, nd.feature, f.numFeatures)
	}
	if (nd.kind == kindXGBCat || nd.kind == kindLGBCat) && (nd.cat < 0 || int(nd.cat) >= len(f.catSets)) {
		return 0, 0, fmt.Errorf("node %d: categorical split without a category set", i)
	}
	if !(nd.cover > 0) || math.IsInf(nd.cover, 0) {
		return 0, 0, fmt.Errorf("node %d has cover %g; TreeSHAP needs the positive training cover of every split", i, nd.cover)
	}
	lm, ld, err := t.check(f, nd.left, depth+1, seen)
	if err != nil {
		return 0, 0, err
	}
	rm, rd, err := t.check(f, nd.right, depth+1, seen)
	if err != nil {
		return 0, 0, err
	}
	lc, rc := t.nodes[nd.left].cover, t.nodes[nd.right].cover
	if lc < 0 || rc < 0 {
		return 0, 0, fmt.Errorf("node %d has a child with negative cover", i)
	}
	return (lm*lc + rm*rc) / nd.cover, max(ld, rd), nil
}

// goesLeft reports where a row with feature value x goes at split nd.
func (f *Forest) goesLeft(nd *node, x float64) bool {
	switch nd.kind {
	case kindXGB:
		if x != x {
			return nd.flags&flagDefaultLeft != 0
		}
		return float64(float32(x)) < nd.threshold
	case kindXGBCat:
		v := float32(x)
		if v != v {
			return nd.flags&flagDefaultLeft != 0
		}
		if v >= 0 && v < maxCategory {
			c := uint32(v)
			set := f.catSets[nd.cat]
			if w := int(c / 64); w < len(set) && set[w]&(1<<(c%64)) != 0 {
				return false
			}
		}
		return true
	case kindLGB:
		if x != x && nd.flags&flagMissingNaN == 0 {
			x = 0
		}
		if (nd.flags&flagMissingZero != 0 && x > -lgbZeroThreshold && x <= lgbZeroThreshold) ||
			(nd.flags&flagMissingNaN != 0 && x != x) {
			return nd.flags&flagDefaultLeft != 0
		}
		return x <= nd.threshold
	default: // kindLGBCat: category in set → left
		// leaves converts to int32 before its NaN check, and NaN converts
		// to a negative value on amd64: NaN always goes right there, and
		// here too so that contributions add up to its margins.
		if x != x || x <= -1 || x >= 1<<31 {
			return false
		}
		c := int32(x)
		set := f.catSets[nd.cat]
		w := int(uint32(c) / 64)
		return w < len(set) && set[w]&(1<<(uint32(c)%64)) != 0
	}
}

// pathElement is one feature on the unique path of Algorithm 2.
type pathElement struct {
	feature      int32
	zeroFraction float64 // share of covers that follow the path without the feature
	oneFraction  float64 // 1 if the row follows the path at this feature, else 0
	pweight      float64 // permutation weight
}

// Explainer computes contributions for batches of rows. Its zero value is
// unusable; get one from NewExplainer.
type Explainer struct {
	forest *Forest
	// Workers caps the goroutines Explain uses; <= 0 means GOMAXPROCS.
	Workers int
}

// NewExplainer returns an explainer over f.
func NewExplainer(f *Forest) *Explainer { return &Explainer{forest: f} }

// minRowsPerWorker keeps small batches on one goroutine.
const minRowsPerWorker = 64

// chunkRows is how many rows a worker explains between context checks.
const chunkRows = 1024

// Explain writes Width() values per row of b into out, row-major: for each
// output group, the feature contributions then the bias.
func (e *Explainer) Explain(ctx context.Context, b engine.Batch, out []float64) error {
	f := e.forest
	if err := b.Validate(); err != nil {
		return err
	}
	if b.Cols != f.numFeatures {
		return fmt.Errorf("input has %d feature columns, the model expects %d", b.Cols, f.numFeatures)
	}
	width := f.Width()
	if len(out) != b.Rows*width {
		return fmt.Errorf("output buffer holds %d values, want %d rows x %d contributions", len(out), b.Rows, width)
	}
	workers := e.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, (b.Rows+minRowsPerWorker-1)/minRowsPerWorker))
	if workers == 1 {
		return f.explainRange(ctx, b, out)
	}
	per := (b.Rows + workers - 1) / workers
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*per, min((w+1)*per, b.Rows)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			errs[w] = f.explainRange(ctx, b.Slice(lo, hi), out[lo*width:hi*width])
		}(w, lo, hi)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Scratch is one goroutine's working memory for ExplainRow.
type Scratch struct{ path []pathElement }

// NewScratch returns scratch sized for this forest's deepest tree.
func (f *Forest) NewScratch() *Scratch { return &Scratch{path: make([]pathElement, f.pathLen)} }

// ExplainRow writes Width() values for one row of NumFeatures() values into
// out, without allocating. s must come from NewScratch of this forest and
// must not be shared between goroutines.
func (f *Forest) ExplainRow(x, out []float64, s *Scratch) error {
	if len(x) != f.numFeatures || len(out) != f.Width() {
		return fmt.Errorf("row of %d values and %d outputs, want %d and %d", len(x), len(out), f.numFeatures, f.Width())
	}
	if len(s.path) != f.pathLen {
		return fmt.Errorf("scratch is for another model")
	}
	f.explainRow(x, out, s.path)
	return nil
}

// explainRange explains rows sequentially with one path buffer.
func (f *Forest) explainRange(ctx context.Context, b engine.Batch, out []float64) error {
	path := make([]pathElement, f.pathLen)
	width := f.Width()
	for r := 0; r < b.Rows; r++ {
		if r%chunkRows == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("explaining stopped after %d rows: %w", r, err)
			}
		}
		f.explainRow(b.Row(r), out[r*width:(r+1)*width], path)
	}
	return nil
}

// explainRow is ExplainRow without the checks.
func (f *Forest) explainRow(x []float64, out []float64, path []pathElement) {
	clear(out)
	stride := f.numFeatures + 1
	for t := range f.trees {
		tr := &f.trees[t]
		if tr.nodes[0].kind == kindLeaf {
			continue // a stump only moves the bias
		}
		phi := out[tr.group*stride : (tr.group+1)*stride]
		f.treeShap(tr, x, phi, 0, path, 0, 1, 1, -1)
	}
	for g := 0; g < f.numGroups; g++ {
		out[g*stride+f.numFeatures] = f.bias[g]
	}
}

// treeShap is RECURSE of Algorithm 2 (XGBoost's RegTree::TreeShap without
// conditioning): path is the parent's unique path, whose first depth+1
// elements are live; this call works on the next frame of the buffer.
func (f *Forest) treeShap(t *tree, x, phi []float64, i int32, parent []pathElement, depth int,
	parentZero, parentOne float64, parentFeature int32) {
	nd := &t.nodes[i]
	path := parent[depth+1:]
	copy(path[:depth+1], parent[:depth+1])
	extendPath(path, depth, parentZero, parentOne, parentFeature)

	if nd.kind == kindLeaf {
		// For elements the row did not follow (oneFraction 0), the unwound
		// sum is Σ pweight[i]/(depth-i) scaled by (depth+1)/zeroFraction:
		// the sum is the same for all of them, so it is computed once.
		coldSum := -1.0
		for k := 1; k <= depth; k++ {
			el := &path[k]
			var w float64
			switch {
			case el.oneFraction != 0:
				w = unwoundPathSum(path, depth, k)
			case el.zeroFraction != 0:
				if coldSum < 0 {
					coldSum = 0
					for i := depth - 1; i >= 0; i-- {
						coldSum += path[i].pweight * reciprocal[depth-i]
					}
				}
				w = coldSum * float64(depth+1) / el.zeroFraction
			}
			phi[el.feature] += w * (el.oneFraction - el.zeroFraction) * nd.value
		}
		return
	}

	hot, cold := nd.left, nd.right
	if !f.goesLeft(nd, x[nd.feature]) {
		hot, cold = cold, hot
	}
	hotZero := t.nodes[hot].cover / nd.cover
	coldZero := t.nodes[cold].cover / nd.cover
	incomingZero, incomingOne := 1.0, 1.0

	// A feature split on before: undo its element so this split redoes it.
	k := 0
	for ; k <= depth; k++ {
		if path[k].feature == nd.feature {
			break
		}
	}
	if k != depth+1 {
		incomingZero, incomingOne = path[k].zeroFraction, path[k].oneFraction
		unwindPath(path, depth, k)
		depth--
	}
	f.treeShap(t, x, phi, hot, path, depth+1, hotZero*incomingZero, incomingOne, nd.feature)
	f.treeShap(t, x, phi, cold, path, depth+1, coldZero*incomingZero, 0, nd.feature)
}

// reciprocal[k] is 1/k: the path updates divide by small integers in
// their inner loops, and a multiplication is several times cheaper.
var reciprocal = func() (r [maxTreeDepth + 3]float64) {
	for k := 1; k < len(r); k++ {
		r[k] = 1 / float64(k)
	}
	return r
}()

// extendPath is EXTEND: grow the path by one feature with the given
// fractions, updating the permutation weights.
func extendPath(path []pathElement, depth int, zero, one float64, feature int32) {
	path = path[:depth+1]
	path[depth] = pathElement{feature: feature, zeroFraction: zero, oneFraction: one}
	if depth == 0 {
		path[depth].pweight = 1
		return
	}
	inv := reciprocal[depth+1]
	for i := depth - 1; i >= 0; i-- {
		w := path[i].pweight * inv
		path[i+1].pweight += one * w * float64(i+1)
		path[i].pweight = zero * w * float64(depth-i)
	}
}

// unwindPath is UNWIND: remove element k from the path, restoring the
// weights as if it had never been added.
func unwindPath(path []pathElement, depth, k int) {
	path = path[:depth+1]
	one, zero := path[k].oneFraction, path[k].zeroFraction
	next := path[depth].pweight
	d1 := float64(depth + 1)
	if one != 0 {
		scale := d1 / one
		inv := reciprocal[depth+1]
		for i := depth - 1; i >= 0; i-- {
			tmp := path[i].pweight
			path[i].pweight = next * scale * reciprocal[i+1]
			next = tmp - path[i].pweight*zero*float64(depth-i)*inv
		}
	} else {
		scale := d1 / zero
		for i := depth - 1; i >= 0; i-- {
			path[i].pweight *= scale * reciprocal[depth-i]
		}
	}
	for i := k; i < depth; i++ {
		path[i].feature = path[i+1].feature
		path[i].zeroFraction = path[i+1].zeroFraction
		path[i].oneFraction = path[i+1].oneFraction
	}
}

// unwoundPathSum is the total permutation weight the path would have with
// element k unwound, without modifying the path.
func unwoundPathSum(path []pathElement, depth, k int) float64 {
	path = path[:depth+1]
	one, zero := path[k].oneFraction, path[k].zeroFraction
	d1 := float64(depth + 1)
	total := 0.0
	switch {
	case one != 0:
		next := path[depth].pweight
		scale := d1 / one
		zs := zero * reciprocal[depth+1]
		for i := depth - 1; i >= 0; i-- {
			tmp := next * scale * reciprocal[i+1]
			total += tmp
			next = path[i].pweight - tmp*zs*float64(depth-i)
		}
	case zero != 0:
		for i := depth - 1; i >= 0; i-- {
			total += path[i].pweight * reciprocal[depth-i]
		}
		total *= d1 / zero
	}
	return total
}
