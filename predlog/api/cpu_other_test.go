//go:build !unix

package api

import "time"

// processCPU is not measured here; cpu_µs/record then reads 0.
func processCPU() time.Duration { return 0 }
