// Package gpu holds the accelerator backends of the scoring engine. Today:
// OpenCL, bound at run time through github.com/ebitengine/purego (dlopen of
// the ICD loader libOpenCL.so.1, no cgo), so one binary runs on NVIDIA, AMD
// and Intel GPUs and, through POCL, on CPUs — which is how the parity tests
// run on machines without a GPU.
//
// A model's forest is uploaded once (struct-of-arrays node layout, see
// kernelSource); each batch is narrowed to float32 on the host, copied to
// the device in one transfer, scored by one kernel launch (one work-item per
// row, trees in order, float32 sums exactly as XGBoost), and its margins
// come back in one transfer; the objective's output link runs on the host
// with the CPU evaluator's code. Only XGBoost models (JSON, UBJSON, binary)
// are laid out for the device; LightGBM models stay on the CPU backend.
//
// Not done yet: overlapping the copy of batch n+1 with batch n (the queue
// is in-order and copies are blocking), a CUDA driver API backend, and the
// --backend flag/collector setting that would choose this backend.
package gpu
