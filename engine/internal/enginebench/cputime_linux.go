package enginebench

import (
	"syscall"
	"time"
)

// rusageThread is RUSAGE_THREAD (Linux): usage of the calling thread only.
const rusageThread = 1

// ThreadCPUTime is the user+system CPU time of the calling OS thread.
func ThreadCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
