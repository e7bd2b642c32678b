// Package gpu holds the accelerator backends of the scoring engine: CUDA
// (the NVIDIA driver API, libcuda.so.1, running hand-written PTX that the
// driver JIT-compiles: cuda/predict_margins.ptx, from cuda/predict_margins.cu)
// and OpenCL, both bound at run time through github.com/ebitengine/purego (dlopen of
// the ICD loader libOpenCL.so.1, no cgo), so one binary runs on NVIDIA, AMD
// and Intel GPUs and, through POCL, on CPUs — which is how the parity tests
// run on machines without a GPU.
//
// A model's forest is uploaded once (struct-of-arrays node layout, see
// kernelSource); each chunk of a batch is narrowed to float32 on the host,
// copied to the device in one transfer, scored by one kernel launch (one
// work-item per row, trees in order, float32 sums exactly as XGBoost), and
// its margins come back in one transfer; the objective's output link runs
// on the host with the CPU evaluator's code. Two chunk slots are in flight
// at once: the copies and kernels are queued without waiting, so the host
// narrows chunk n+1 and finishes chunk n-1 while the device runs chunk n. Only XGBoost models (JSON, UBJSON, binary)
// are laid out for the device; LightGBM models stay on the CPU backend.
//
// Select picks a backend for one model (auto: cuda, then an OpenCL GPU,
// then the CPU, saying why); PerModel does it for every model a process
// scores (the collector's engine.backend), opening each device once.
//
// The CUDA backend is UNTESTED on a GPU: no GPU was lent to the work that
// wrote it. Its tests here check the loader's errors and the PTX's form;
// scripts/gpu-check.sh runs TestCUDAParity and the benchmark on a GPU.
//
// Not done yet: a second command queue, so that on a GPU the copy of chunk
// n+1 also overlaps the kernel of chunk n (one in-order queue serialises
// them on the device); the CUDA backend's chunks are not pipelined at all.
package gpu
