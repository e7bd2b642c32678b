//go:build !linux

package enginebench

import "time"

// ThreadCPUTime is unavailable off Linux; the benchmark then reports wall
// clock figures only.
func ThreadCPUTime() (time.Duration, bool) { return 0, false }
