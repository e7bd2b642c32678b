package tsdb

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"
)

// scaleProfile starts a CPU profile of one phase of the scale benchmark
// when TSDB_SCALE_PROFILE names a directory; the returned stop writes it to
// DIR/<phase>.cpu.pprof. The allocation profiles at the phase's start and
// end go to DIR/<phase>.alloc0.pprof and DIR/<phase>.alloc.pprof (the
// runtime's are cumulative: `go tool pprof -base <phase>.alloc0.pprof
// <phase>.alloc.pprof` shows what the phase allocated). Profiling a phase
// alone keeps the other system's work out of it.
func scaleProfile(b *testing.B, phase string) (stop func()) {
	dir := os.Getenv("TSDB_SCALE_PROFILE")
	if dir == "" {
		return func() {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatalf("TSDB_SCALE_PROFILE: %v", err)
	}
	f, err := os.Create(filepath.Join(dir, phase+".cpu.pprof"))
	if err != nil {
		b.Fatalf("TSDB_SCALE_PROFILE: %v", err)
	}
	writeAllocs := func(name string) {
		runtime.GC() // the profile counts allocations up to the last GC
		a, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			b.Fatalf("TSDB_SCALE_PROFILE: %v", err)
		}
		defer a.Close()
		if err := pprof.Lookup("allocs").WriteTo(a, 0); err != nil {
			b.Fatalf("TSDB_SCALE_PROFILE: %v", err)
		}
	}
	writeAllocs(phase + ".alloc0.pprof")
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatalf("TSDB_SCALE_PROFILE: %v", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		writeAllocs(phase + ".alloc.pprof")
	}
}
