package gpu

// lightgbmKernelSource is the OpenCL C kernel that scores LightGBM models
// (model.txt or JSON dump: the same engine/model forest), built for a device the first time it is given one, and only
// where the device has cl_khr_fp64: LightGBM decides and sums in double
// (thresholds are doubles, rows are not narrowed), and so does this kernel,
// which is engine/model's (*LightGBM).PredictBatch line for line. One
// work-item scores one row, walking the trees in tree order and adding
// each leaf to its group's sum starting from 0, as LightGBM's PredictRaw
// does, so the raw margins are bit-equal to the CPU evaluator's.
//
// Forest layout (lightgbmLayout, struct of arrays, one entry per node,
// trees concatenated, children by absolute index):
//
//	left[i], right[i]  children; left[i] < 0 marks a leaf
//	flags[i]   bits 0-27 feature; 28-29 missing type (0 None, 1 Zero,
//	           2 NaN); bit 30 categorical; bit 31 default left
//	value[i]   threshold, leaf value, or (categorical) the category set's index
//	cat_off/cat_len  per category set: its words in cat_words (32 bits each)
//
// No -cl-fast-relaxed-math or -cl-mad-enable: the comparisons and the
// additions stay IEEE double, and nothing here multiplies, so there is
// nothing to contract.
const lightgbmKernelSource = `
#pragma OPENCL EXTENSION cl_khr_fp64 : enable

#define LGB_FEATURE      0x0fffffffu
#define LGB_MISSING(f)   (((f) >> 28) & 3u)
#define LGB_MISSING_ZERO 1u
#define LGB_MISSING_NAN  2u
#define LGB_CATEGORICAL  0x40000000u
#define LGB_DEFAULT_LEFT 0x80000000u

__kernel void predict_lightgbm(
    __global const double* x, const int rows, const int cols,
    __global const int* left, __global const int* right, __global const uint* flags, __global const double* value,
    __global const int* roots, __global const int* groups, const int ntrees, const int ngroups,
    __global const uint* cat_off, __global const uint* cat_len, __global const uint* cat_words,
    const double zero,
    __global double* margins)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const double* row = x + (size_t)r * (size_t)cols;
    __global double* out = margins + (size_t)r * (size_t)ngroups;
    for (int g = 0; g < ngroups; g++) out[g] = 0.0;
    double acc = 0.0; /* ngroups == 1: keep the sum in a register */
    for (int t = 0; t < ntrees; t++) {
        int i = roots[t];
        int l;
        while ((l = left[i]) >= 0) {
            const uint f = flags[i];
            double v = row[f & LGB_FEATURE];
            int go_left;
            if (f & LGB_CATEGORICAL) {
                /* NaN, values <= -1 and values >= 2^31 go right; the
                   bitset has no bit for categories past it. */
                go_left = 0;
                if (!isnan(v) && v > -1.0 && v < 2147483648.0) {
                    const uint c = (uint)(int)v;
                    const uint set = (uint)value[i];
                    const uint w = c >> 5;
                    go_left = w < cat_len[set] && ((cat_words[cat_off[set] + w] >> (c & 31u)) & 1u);
                }
            } else {
                const uint miss = LGB_MISSING(f);
                if (isnan(v) && miss != LGB_MISSING_NAN) v = 0.0;
                if ((miss == LGB_MISSING_ZERO && v > -zero && v <= zero) ||
                    (miss == LGB_MISSING_NAN && isnan(v))) {
                    go_left = (f & LGB_DEFAULT_LEFT) != 0;
                } else {
                    go_left = v <= value[i];
                }
            }
            i = go_left ? l : right[i];
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
