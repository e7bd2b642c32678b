// predict_margins.cu is the source predict_margins.ptx was written from by
// hand (no CUDA toolkit was available; nvcc -ptx -arch=sm_52 of this file
// gives an equivalent kernel). It is the OpenCL kernel of ../kernel.go in
// CUDA C: one thread per row, trees in order, float32 sums added in the
// same order as XGBoost, so leaves and margins agree bit for bit. The
// forest layout is ../layout.go's. Not compiled by the Go build; the Go
// code loads the PTX text with cuModuleLoadDataEx and the driver JITs it.

#define FEATURE_MASK 0x3fffffffu
#define CATEGORICAL  0x40000000u
#define DEFAULT_LEFT 0x80000000u

extern "C" __global__ void predict_margins(
    const float* x, int rows, int cols,
    const int* left, const int* feature, const float* value,
    const int* roots, const int* groups, int ntrees, int ngroups,
    const unsigned* cat_off, const unsigned* cat_len, const unsigned* cat_words,
    float max_category, float base_margin,
    float* margins)
{
    const int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows) return;
    const float* row = x + (long long)r * cols;
    float* out = margins + (long long)r * ngroups;
    for (int g = 0; g < ngroups; g++) out[g] = base_margin;
    float acc = base_margin;
    for (int t = 0; t < ntrees; t++) {
        int i = roots[t];
        int l;
        while ((l = left[i]) != 0) {
            const unsigned f = (unsigned)feature[i];
            const float v = row[f & FEATURE_MASK];
            int right;
            if (isnan(v)) {
                right = (f & DEFAULT_LEFT) == 0;
            } else if (f & CATEGORICAL) {
                right = 0;
                if (v >= 0.0f && v < max_category) {
                    const unsigned c = (unsigned)v;
                    const unsigned set = __float_as_uint(value[i]);
                    const unsigned w = c >> 5;
                    right = w < cat_len[set] && ((cat_words[cat_off[set] + w] >> (c & 31u)) & 1u);
                }
            } else {
                right = !(v < value[i]);
            }
            i = l + right;
        }
        if (ngroups == 1) {
            acc = __fadd_rn(acc, value[i]);
        } else {
            out[groups[t]] = __fadd_rn(out[groups[t]], value[i]);
        }
    }
    if (ngroups == 1) out[0] = acc;
}
