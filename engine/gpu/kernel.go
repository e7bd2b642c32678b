package gpu

// kernelSource is the OpenCL C kernel, built for the device when a backend
// opens it. One work-item scores one row; it walks the trees in tree order
// and adds each leaf to its row's float32 group sum, so every row sees the
// same additions in the same order as XGBoost's CPU predictor (and
// engine/model's evaluator): the sums agree bit for bit. All work-items of
// a work group walk the same tree at the same time, FIL's "many rows through
// one tree", so the tree's nodes are shared in cache.
//
// Forest layout (struct of arrays, one entry per node, trees concatenated,
// children of a split adjacent):
//
//	left[i]    first child (taken when x < value[i]); 0 marks a leaf
//	feature[i] split feature; bit 31 set: NaN goes left; bit 30 set: categorical
//	value[i]   threshold, leaf value, or (categorical) the category set's index
//	cat_off/cat_len  per category set: its words in cat_words (32 bits each)
//
// A category goes right when it is in the set; NaN follows the default
// direction; any other value (negative, too large, not in the set) goes
// left, as XGBoost's common::Decision has it.
const kernelSource = `
#define FEATURE_MASK 0x3fffffff
#define CATEGORICAL  0x40000000
#define DEFAULT_LEFT 0x80000000u

__kernel void predict_margins(
    __global const float* x, const int rows, const int cols,
    __global const int* left, __global const int* feature, __global const float* value,
    __global const int* roots, __global const int* groups, const int ntrees, const int ngroups,
    __global const uint* cat_off, __global const uint* cat_len, __global const uint* cat_words,
    const float max_category, const float base_margin,
    __global float* margins)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const float* row = x + (size_t)r * (size_t)cols;
    __global float* out = margins + (size_t)r * (size_t)ngroups;
    for (int g = 0; g < ngroups; g++) out[g] = base_margin;
    float acc = base_margin; /* ngroups == 1: keep the sum in a register */
    for (int t = 0; t < ntrees; t++) {
        int i = roots[t];
        int l;
        while ((l = left[i]) != 0) {
            const uint f = (uint)feature[i];
            const float v = row[f & FEATURE_MASK];
            int right;
            if (isnan(v)) {
                right = (f & DEFAULT_LEFT) == 0;
            } else if (f & CATEGORICAL) {
                right = 0;
                if (v >= 0.0f && v < max_category) {
                    const uint c = (uint)v;
                    const uint set = as_uint(value[i]);
                    const uint w = c >> 5;
                    right = w < cat_len[set] && ((cat_words[cat_off[set] + w] >> (c & 31u)) & 1u);
                }
            } else {
                right = !(v < value[i]);
            }
            i = l + right;
        }
        if (ngroups == 1) {
            acc += value[i];
        } else {
            out[groups[t]] += value[i];
        }
    }
    if (ngroups == 1) out[0] = acc;
}
`
