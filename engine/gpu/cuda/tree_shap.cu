// tree_shap.cu is the CUDA mirror of the OpenCL TreeSHAP kernel: it
// includes the same kernel body (../shap_kernel.cl, path-dependent TreeSHAP,
// one thread per row) in double, three times, for trees of at most 8, 16
// and 32 levels (tree_shap_d8, tree_shap_d16, tree_shap_d32: the private
// path buffer is sized by the bound, as the OpenCL build does with
// -DMAX_DEPTH). tree_shap.ptx is generated from it by gen_tree_shap_ptx.sh
// with clang's NVPTX back end (no CUDA toolkit needed: -nocudainc
// -nocudalib, so the shims below replace what cuda_runtime.h would give);
// nvcc -ptx -arch=sm_52 -fmad=false compiles it too. Contraction into FMA
// is off in both (the CPU's operation order, bit for bit).
//
// UNTESTED on a GPU: no GPU was lent to the work that wrote it. The Go side
// (../shap_cuda.go) compares the first rows of each model's first batch
// with the CPU and falls back to the CPU on any disagreement.

#ifndef __NVCC__
#define __global__ __attribute__((global))
#define ROW_ID() ((int)(__nvvm_read_ptx_sreg_ctaid_x() * __nvvm_read_ptx_sreg_ntid_x() + __nvvm_read_ptx_sreg_tid_x()))
#else
#define ROW_ID() ((int)(blockIdx.x * blockDim.x + threadIdx.x))
#endif

#define isnan(v) __builtin_isnan(v)
#define KERNEL extern "C" __global__
#define GLOBAL
#define U64 unsigned long long
#define REAL double

#define MAX_DEPTH 8
#define KERNEL_NAME tree_shap_d8
#include "../shap_kernel.cl"
#undef MAX_DEPTH
#undef KERNEL_NAME

#define MAX_DEPTH 16
#define KERNEL_NAME tree_shap_d16
#include "../shap_kernel.cl"
#undef MAX_DEPTH
#undef KERNEL_NAME

#define MAX_DEPTH 32
#define KERNEL_NAME tree_shap_d32
#include "../shap_kernel.cl"
