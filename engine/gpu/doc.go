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
// at once, each on its own in-order command queue (OpenCL) or stream
// (CUDA, with page-locked host buffers and asynchronous copies): the copy
// in of chunk n+1 overlaps the kernel of chunk n on a device that has a
// copy engine, while the host finishes chunk n-1 and narrows chunk n+1
// into the slot it freed. Options.Queues = 1 puts both slots on one queue, the
// benchmark's baseline. XGBoost models (JSON, UBJSON, binary) run on
// both backends. LightGBM model.txt models run on OpenCL only, through
// their own kernel and layout (lightgbm_kernel.go, lightgbm_layout.go:
// engine/model's LightGBMForest, its float64 thresholds and decision_type
// bits) in double precision as LightGBM decides and sums, so only on a
// device with cl_khr_fp64 (POCL has it); elsewhere the backend refuses
// them with that reason and Select keeps them on the CPU. The CUDA
// backend refuses LightGBM models (no kernel), as it does JSON dumps.
//
// Select picks a backend for one model (auto: cuda, then an OpenCL GPU,
// then the CPU, saying why); PerModel does it for every model a process
// scores (the collector's engine.backend), opening each device once.
//
// The CUDA backend is UNTESTED on a GPU: no GPU was lent to the work that
// wrote it (sessions 4-6). Its tests here check the loader's errors and the
// PTX's form; scripts/gpu-check.sh runs TestCUDAParity and the benchmark on
// a GPU, and the backend compares each model's first batch with the CPU
// evaluator and scores the model on the CPU if they disagree.
package gpu
