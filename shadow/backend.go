package shadow

import "github.com/mlectl/mlectl/engine"

// describeBackend says which backend and device score m on b, for reports:
// the backend's own account when it has one (engine/gpu.PerModel: "opencl
// on …", "cpu (auto: no OpenCL GPU: …)"), "cpu" for the CPU backend, else
// "" (the report omits it).
func describeBackend(b engine.Backend, m engine.Model) string {
	switch b := b.(type) {
	case interface{ Describe(engine.Model) string }:
		return b.Describe(m)
	case engine.CPU, *engine.CPU:
		return "cpu"
	}
	return ""
}

// forgetModel lets a backend that keeps per-model state (a forest in
// device memory) release m, which will not be scored again.
func forgetModel(b engine.Backend, m engine.Model) {
	if f, ok := b.(interface{ Forget(engine.Model) }); ok {
		f.Forget(m)
	}
}
