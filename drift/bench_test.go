package drift

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cpuSeconds is the user+system CPU time of this process so far: on a
// shared machine it measures the work, where wall time measures the
// neighbours.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// benchCategorical are the columns the bike-sharing cases pass as --categorical.
var benchCategorical = []string{"season", "holiday", "workingday", "weathersit", "weekday"}

// bikeLikeCSV generates rows×20 columns shaped like the UCI bike-sharing
// hourly data (calendar codes, rounded weather readings, skewed counts) plus
// five continuous columns; drifted shifts the weather and demand the way
// summer differs from winter. Deterministic for a given seed.
func bikeLikeCSV(rows int, seed uint64, drifted bool) []byte {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	shift := 0.0
	season := 1
	if drifted {
		shift, season = 1, 3
	}
	clamp := func(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
	buf := make([]byte, 0, rows*130)
	buf = append(buf, "season,yr,mnth,hr,holiday,weekday,workingday,weathersit,temp,atemp,hum,windspeed,casual,registered,cnt,temp_c,latency_ms,score,x1,x2\n"...)
	f := func(x float64, prec int) { buf = strconv.AppendFloat(buf, x, 'f', prec, 64); buf = append(buf, ',') }
	d := func(x int) { buf = strconv.AppendInt(buf, int64(x), 10); buf = append(buf, ',') }
	for i := 0; i < rows; i++ {
		hr := i % 24
		d(season)
		d(rng.IntN(2))
		d(3*(season-1) + 1 + rng.IntN(3))
		d(hr)
		holiday := 0
		if rng.Float64() < 0.03 {
			holiday = 1
		}
		d(holiday)
		wd := (i / 24) % 7
		d(wd)
		working := 0
		if wd > 0 && wd < 6 && holiday == 0 {
			working = 1
		}
		d(working)
		w := 1
		if u := rng.Float64(); u > 0.65 {
			w = 2
			if u > 0.92 {
				w = 3
			}
			if u > 0.999 {
				w = 4
			}
		}
		d(w)
		temp := clamp(0.3+0.3*shift+0.12*rng.NormFloat64(), 0.02, 1)
		f(temp, 2)
		f(clamp(temp*0.95+0.02*rng.NormFloat64(), 0, 1), 4)
		f(clamp(0.6-0.05*shift+0.19*rng.NormFloat64(), 0, 1), 2)
		f(math.Min(0.85, rng.ExpFloat64()*0.19), 4)
		casual := int(rng.ExpFloat64() * (15 + 30*shift))
		registered := int(rng.ExpFloat64() * (110 + 60*shift))
		d(casual)
		d(registered)
		d(casual + registered)
		f(temp*41+rng.NormFloat64()*0.3, 1)
		f(math.Exp(3+0.5*rng.NormFloat64()+0.05*shift), 3)
		f(rng.Float64(), 6)
		f(rng.NormFloat64(), 6)
		buf = strconv.AppendFloat(buf, rng.NormFloat64()+0.02*shift, 'f', 6, 64)
		buf = append(buf, '\n')
	}
	return buf
}

var benchData struct {
	once     sync.Once
	ref, cur []byte
}

func benchCSV() (ref, cur []byte) {
	benchData.once.Do(func() {
		benchData.ref = bikeLikeCSV(1_000_000, 1, false)
		benchData.cur = bikeLikeCSV(1_000_000, 2, true)
	})
	return benchData.ref, benchData.cur
}

// parseBoth parses the two files at once, as mlectl drift does.
func parseBoth(b testing.TB, ref, cur []byte) (*Frame, *Frame) {
	var rf, cf *Frame
	var rerr, cerr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); cf, cerr = ParseCSV(cur) }()
	rf, rerr = ParseCSV(ref)
	wg.Wait()
	if rerr != nil || cerr != nil {
		b.Fatal(rerr, cerr)
	}
	return rf, cf
}

// BenchmarkDrift1Mx20 is the whole `mlectl drift` path minus file I/O: parse
// a 1M-row reference and a 1M-row current CSV of 20 columns and compare
// them. rows/s counts the rows of both files. With DRIFT_BENCH_ORACLE=1 it
// also runs the Python oracle (/usr/bin/python3 drift_oracle.py, scipy) once
// on the same files and reports its time and the speed-up.
func BenchmarkDrift1Mx20(b *testing.B) {
	ref, cur := benchCSV()
	opts := Options{Categorical: benchCategorical}
	b.SetBytes(int64(len(ref) + len(cur)))
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		rf, cf := parseBoth(b, ref, cur)
		if _, err := Compare(context.Background(), rf, cf, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpuPerOp := (cpuSeconds() - cpu0) / float64(b.N)
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(2_000_000/perOp, "rows/s")
	b.ReportMetric(cpuPerOp, "cpu_s/op")
	if os.Getenv("DRIFT_BENCH_ORACLE") == "1" {
		wall, cpu := runOracle(b, ref, cur)
		b.ReportMetric(wall, "oracle_wall_s")
		b.ReportMetric(cpu, "oracle_cpu_s")
		b.ReportMetric(wall/perOp, "speedup_wall_x")
		b.ReportMetric(cpu/cpuPerOp, "speedup_cpu_x")
	}
}

// BenchmarkDrift1Mx20Compare is the statistics alone on parsed frames.
func BenchmarkDrift1Mx20Compare(b *testing.B) {
	ref, cur := benchCSV()
	rf, cf := parseBoth(b, ref, cur)
	opts := Options{Categorical: benchCategorical}
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		if _, err := Compare(context.Background(), rf, cf, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(2_000_000/(b.Elapsed().Seconds()/float64(b.N)), "rows/s")
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu_s/op")
}

// BenchmarkParseCSV1Mx20 is the CSV reader alone on the 1M-row reference.
func BenchmarkParseCSV1Mx20(b *testing.B) {
	ref, _ := benchCSV()
	b.SetBytes(int64(len(ref)))
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		if _, err := ParseCSV(ref); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(1_000_000/(b.Elapsed().Seconds()/float64(b.N)), "rows/s")
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu_s/op")
}

// runOracle returns the oracle's wall time and its CPU time (user+system).
func runOracle(b *testing.B, ref, cur []byte) (wall, cpu float64) {
	script := filepath.Join("..", "..", "shared", "oracles", "drift_oracle.py")
	if _, err := os.Stat(script); err != nil {
		b.Skipf("oracle not found: %v", err)
	}
	dir := b.TempDir()
	rp, cp := filepath.Join(dir, "reference.csv"), filepath.Join(dir, "current.csv")
	if err := os.WriteFile(rp, ref, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(cp, cur, 0o644); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	cmd := exec.Command("/usr/bin/python3", script, rp, cp, "--categorical", "season,holiday,workingday,weathersit,weekday")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("oracle: %v: %s", err, out[:min(len(out), 2000)])
	}
	wall = time.Since(start).Seconds()
	st := cmd.ProcessState
	return wall, (st.UserTime() + st.SystemTime()).Seconds()
}
