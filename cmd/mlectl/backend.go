package main

import (
	"fmt"
	"io"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/gpu"
)

// backendFlagHelp is the --backend flag's help on shadow score and replay.
const backendFlagHelp = "scoring backend: auto (a CUDA GPU, else an OpenCL GPU, else cpu), cpu, opencl (any OpenCL device, POCL included) or cuda (an NVIDIA GPU through libcuda.so.1)"

// scoringBackend opens the backend --backend names for m and says on
// stderr which one runs, on which device and, for auto, why. done reports
// the batches a device failed on (they were rescored on the CPU) and
// releases the device.
func scoringBackend(name string, m engine.Model, threads int, stderr io.Writer) (b engine.Backend, reason string, done func(), err error) {
	sel, err := gpu.Select(name, m, true)
	if err != nil {
		return nil, "", nil, usagef("--backend: %v", err)
	}
	fmt.Fprintf(stderr, "mlectl: backend %s\n", sel.Reason)
	if sel.Name == gpu.BackendCPU {
		return engine.CPU{Workers: threads}, sel.Reason, func() {}, nil
	}
	done = func() {
		if fb, ok := sel.Backend.(*gpu.Fallback); ok && fb.Fallbacks() > 0 {
			fmt.Fprintf(stderr, "mlectl: %d batches failed on the device and were scored on the CPU\n", fb.Fallbacks())
		}
		_ = sel.Close()
	}
	return sel.Backend, sel.Reason, done, nil
}
