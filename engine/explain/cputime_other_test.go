//go:build !linux

package explain

import "time"

// threadCPUTime is unavailable off Linux; the benchmark then reports wall
// clock figures only.
func threadCPUTime() (time.Duration, bool) { return 0, false }
