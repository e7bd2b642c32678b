package gpu

import (
	_ "embed"
	"fmt"
	"math"

	"github.com/mlectl/mlectl/engine/explain"
)

// shapKernelBody is path-dependent TreeSHAP for one row per work-item,
// shared word for word by the OpenCL build (shapOpenCLSource) and the CUDA
// mirror (cuda/tree_shap.cu includes the same file).
//
//go:embed shap_kernel.cl
var shapKernelBody string

// MaxExplainDepth is the deepest tree the device TreeSHAP kernels take:
// each work-item keeps its unique paths in private memory sized for the
// depth ((d+2)(d+3)/2 path elements, about 19 KiB in double at 32), so
// deeper models are refused with ErrTooDeep and explained on the CPU.
const MaxExplainDepth = 32

// ErrTooDeep reports a model deeper than the device kernels' bound.
var ErrTooDeep = fmt.Errorf("a tree is deeper than the device TreeSHAP kernel's bound of %d levels", MaxExplainDepth)

// depthBound is the kernel's compiled depth for a model of depth d: one
// program per bucket (8, 16, 32) so that shallow models keep their private
// arrays small and a process compiles at most three programs.
func depthBound(d int) (int, error) {
	for _, b := range []int{8, 16, MaxExplainDepth} {
		if d <= b {
			return b, nil
		}
	}
	return 0, fmt.Errorf("%w (the model has %d): explain it on the cpu backend", ErrTooDeep, d)
}

// shapOpenCLSource is the OpenCL program of the kernel in double (the
// device has cl_khr_fp64) or float, for trees of at most maxDepth levels.
func shapOpenCLSource(double bool, maxDepth int) string {
	real, ext := "float", ""
	if double {
		real, ext = "double", "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n"
	}
	return ext + "#pragma OPENCL FP_CONTRACT OFF\n" +
		"#define REAL " + real + "\n" +
		fmt.Sprintf("#define MAX_DEPTH %d\n", maxDepth) +
		"#define KERNEL __kernel\n#define GLOBAL __global\n#define ROW_ID() ((int)get_global_id(0))\n" +
		"#define U64 ulong\n#define KERNEL_NAME tree_shap\n" + shapKernelBody
}

// shapLayout is a forest in the kernel's struct-of-arrays layout, in the
// kernel's floating-point type (float64 or float32 slices, one of each
// pair set).
type shapLayout struct {
	left, right, feature, meta, cat, roots, groups []int32
	catOff, catLen                                 []uint32
	catWords                                       []uint64
	threshold, value, cover, bias, recip           []float64
	threshold32, value32, cover32, bias32, recip32 []float32
	ntrees, ngroups, cols, width, maxDepth         int
}

// layoutShap flattens f for the kernels. In float, only XGBoost splits are
// taken: their thresholds are float32 values, so the decisions stay exact;
// LightGBM compares float64 inputs with float64 thresholds, which float
// cannot reproduce, so such models are refused (the caller uses the CPU).
func layoutShap(f *explain.Forest, double bool) (*shapLayout, error) {
	fl := f.Flat()
	bound, err := depthBound(fl.MaxDepth)
	if err != nil {
		return nil, err
	}
	n := len(fl.Left)
	l := &shapLayout{left: fl.Left, right: fl.Right, feature: fl.Feature, cat: fl.CatSet, roots: fl.Roots, groups: fl.Groups,
		meta: make([]int32, n), ntrees: len(fl.Roots), ngroups: fl.NumGroups, cols: fl.NumFeatures,
		width: f.Width(), maxDepth: bound}
	for i := range fl.Kind {
		if !double && (fl.Kind[i] == explain.KindLightGBM || fl.Kind[i] == explain.KindLightGBMCategory) {
			return nil, fmt.Errorf("the device has no double precision (cl_khr_fp64) and LightGBM splits compare in float64: explain this model on the cpu backend")
		}
		l.meta[i] = int32(fl.Kind[i]) | int32(fl.Flags[i])<<8
	}
	for s, set := range fl.CatSets {
		if s == 0 {
			l.catOff, l.catLen = make([]uint32, len(fl.CatSets)), make([]uint32, len(fl.CatSets))
		}
		l.catOff[s], l.catLen[s] = uint32(len(l.catWords)), uint32(len(set))
		l.catWords = append(l.catWords, set...)
	}
	// The CPU's reciprocal table: the kernels multiply by these values
	// rather than divide, exactly as engine/explain does.
	recip := make([]float64, MaxExplainDepth+3)
	for k := 1; k < len(recip); k++ {
		recip[k] = 1 / float64(k)
	}
	if double {
		l.threshold, l.value, l.cover, l.bias, l.recip = fl.Threshold, fl.Value, fl.Cover, fl.Bias, recip
		return l, nil
	}
	narrow := func(v []float64) []float32 {
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out
	}
	for _, c := range fl.Cover {
		if c > math.MaxFloat32 {
			return nil, fmt.Errorf("a node's cover %g overflows float: explain this model on the cpu backend", c)
		}
	}
	l.threshold32, l.value32, l.cover32, l.bias32, l.recip32 = narrow(fl.Threshold), narrow(fl.Value), narrow(fl.Cover), narrow(fl.Bias), narrow(recip)
	return l, nil
}
