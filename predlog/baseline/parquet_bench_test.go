package baseline

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/drift"
)

// benchRow is one row of the generated training set: bike-like numbers
// (random doubles do not compress, so the file's size is mostly values),
// a nullable double, dictionary-encoded strings (one nullable), a bool.
type benchRow struct {
	Temp    float64  `parquet:"temp"`
	Hum     float64  `parquet:"hum"`
	Wind    *float64 `parquet:"windspeed,optional"`
	Cnt     int64    `parquet:"cnt"`
	Hr      int64    `parquet:"hr"`
	City    *string  `parquet:"city,optional,dict"`
	Weather string   `parquet:"weather,dict"`
	Holiday bool     `parquet:"holiday"`
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeBenchTables writes the same rows as Parquet (row groups of 256Ki rows,
// snappy) and as CSV until the Parquet file reaches targetBytes; it
// returns the row count.
func writeBenchTables(tb testing.TB, parquetPath, csvPath string, targetBytes int64) int {
	pf, err := os.Create(parquetPath)
	require.NoError(tb, err)
	defer pf.Close()
	cf, err := os.Create(csvPath)
	require.NoError(tb, err)
	defer cf.Close()
	cw := bufio.NewWriterSize(cf, 1<<20)
	counted := &countingWriter{w: bufio.NewWriterSize(pf, 1<<20)}
	pw := parquet.NewGenericWriter[benchRow](counted, parquet.MaxRowsPerRowGroup(256<<10), parquet.Compression(&parquet.Snappy))
	cities := []string{"Berlin", "Paris", "Lyon", "Porto", "Oslo", "Riga", "Turin", "Gent", "Bern", "Cork"}
	weathers := []string{"clear", "mist", "light rain", "heavy rain"}
	_, err = cw.WriteString("temp,hum,windspeed,cnt,hr,city,weather,holiday\n")
	require.NoError(tb, err)
	rng := rand.New(rand.NewPCG(7, 11))
	batch := make([]benchRow, 8192)
	rows := 0
	var line []byte
	for counted.n < targetBytes {
		for i := range batch {
			r := benchRow{
				Temp: 15 + 8*rng.NormFloat64(), Hum: rng.Float64(),
				Cnt: int64(rng.IntN(1000)), Hr: int64(rng.IntN(24)),
				Weather: weathers[rng.IntN(len(weathers))], Holiday: rng.IntN(30) == 0,
			}
			if rng.IntN(20) != 0 {
				w := 40 * rng.Float64()
				r.Wind = &w
			}
			if rng.IntN(50) != 0 {
				r.City = &cities[rng.IntN(len(cities))]
			}
			batch[i] = r
			line = strconv.AppendFloat(line[:0], r.Temp, 'g', -1, 64)
			line = append(line, ',')
			line = strconv.AppendFloat(line, r.Hum, 'g', -1, 64)
			line = append(line, ',')
			if r.Wind != nil {
				line = strconv.AppendFloat(line, *r.Wind, 'g', -1, 64)
			}
			line = append(line, ',')
			line = strconv.AppendInt(line, r.Cnt, 10)
			line = append(line, ',')
			line = strconv.AppendInt(line, r.Hr, 10)
			line = append(line, ',')
			if r.City != nil {
				line = append(line, *r.City...)
			}
			line = append(line, ',')
			line = append(line, r.Weather...)
			line = append(line, ',')
			line = strconv.AppendBool(line, r.Holiday)
			line = append(line, '\n')
			_, err = cw.Write(line)
			require.NoError(tb, err)
		}
		_, err = pw.Write(batch)
		require.NoError(tb, err)
		rows += len(batch)
	}
	require.NoError(tb, pw.Close())
	require.NoError(tb, counted.w.(*bufio.Writer).Flush())
	require.NoError(tb, cw.Flush())
	return rows
}

// TestImportChild is the benchmark's child process: it imports one file
// (read, profile, encode, as `mlectl baseline import` does) and prints its
// time and the process's peak RSS, so each format's peak is its own.
func TestImportChild(t *testing.T) {
	spec := os.Getenv("BASELINE_IMPORT_CHILD")
	if spec == "" {
		t.Skip("run by BenchmarkImportParquetVsCSV")
	}
	kind, path, _ := strings.Cut(spec, ":")
	start := time.Now()
	var p *Profile
	var err error
	var valueBytes int64
	if kind == "parquet" {
		p, err = ProfileParquetFile("bench", "v1", path, nil, time.Unix(0, 0))
		require.NoError(t, err)
	} else {
		// The CSV path reads the whole file and keeps every cell.
		frame, err := drift.ReadCSVFile(path)
		require.NoError(t, err)
		for _, c := range frame.Columns {
			valueBytes += int64(len(c.Values))*8 + int64(len(c.Codes))*4
		}
		p, err = FromFrame("bench", "v1", frame, nil, time.Unix(0, 0))
		require.NoError(t, err)
	}
	b, err := p.Marshal()
	require.NoError(t, err)
	secs := time.Since(start).Seconds()
	var ru syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	fmt.Printf("IMPORT rows=%d secs=%.3f cpu=%.3f hwm_kb=%d values_kb=%d profile_sha256=%x\n", p.Rows, secs, cpu, vmHWMKB(t), valueBytes>>10, sha256.Sum256(b))
}

func vmHWMKB(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, l := range bytes.Split(b, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(l, []byte("VmHWM:")); ok {
			n, err := strconv.ParseInt(strings.Fields(string(rest))[0], 10, 64)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// BenchmarkImportParquetVsCSV imports a generated training set written as
// Parquet and as CSV (the same rows), each in its own process, and prints
// rows/s and peak RSS beside each other. The Parquet import's peak RSS
// stays flat as the file grows (BASELINE_PARQUET_MB=100 and 1024 show it);
// the CSV import reads the file whole and keeps every cell. The Parquet file is
// BASELINE_PARQUET_MB megabytes (default 50, for make bench); the 1 GB run
// is BASELINE_PARQUET_MB=1024 go test ./predlog/baseline -run '^$' -bench ImportParquetVsCSV -benchtime 1x.
func BenchmarkImportParquetVsCSV(b *testing.B) {
	mb := int64(50)
	if s := os.Getenv("BASELINE_PARQUET_MB"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		require.NoError(b, err, "BASELINE_PARQUET_MB")
		mb = v
	}
	dir := b.TempDir()
	pq, csvPath := filepath.Join(dir, "train.parquet"), filepath.Join(dir, "train.csv")
	rows := writeBenchTables(b, pq, csvPath, mb<<20)
	pqInfo, err := os.Stat(pq)
	require.NoError(b, err)
	csvInfo, err := os.Stat(csvPath)
	require.NoError(b, err)
	b.Logf("generated %d rows: %s %.0f MB, %s %.0f MB", rows, pq, float64(pqInfo.Size())/(1<<20), csvPath, float64(csvInfo.Size())/(1<<20))
	b.ResetTimer()
	for range b.N {
		sums := map[string]string{}
		for _, kind := range []string{"parquet", "csv"} {
			path := map[string]string{"parquet": pq, "csv": csvPath}[kind]
			cmd := exec.Command(os.Args[0], "-test.run=^TestImportChild$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "BASELINE_IMPORT_CHILD="+kind+":"+path)
			out, err := cmd.CombinedOutput()
			require.NoError(b, err, "%s", out)
			var n, hwm, values int64
			var secs, cpu float64
			var sum string
			for _, l := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(l, "IMPORT ") {
					_, err := fmt.Sscanf(l, "IMPORT rows=%d secs=%f cpu=%f hwm_kb=%d values_kb=%d profile_sha256=%s", &n, &secs, &cpu, &hwm, &values, &sum)
					require.NoError(b, err, l)
				}
			}
			require.Equal(b, int64(rows), n, "%s", out)
			sums[kind] = sum
			// rows per CPU-second beside rows/s: on a shared machine the
			// wall clock measures the neighbours too.
			fmt.Printf("baseline import %-7s %7.0f MB file: %d rows in %.2fs = %.0f rows/s (%.2f CPU-s: %.0f rows per CPU-s), peak RSS %.0f MB (frame values %.0f MB)\n",
				kind, float64(map[string]int64{"parquet": pqInfo.Size(), "csv": csvInfo.Size()}[kind])/(1<<20),
				n, secs, float64(n)/secs, cpu, float64(n)/cpu, float64(hwm)/1024, float64(values)/1024)
			b.ReportMetric(float64(n)/secs, kind+"_rows/s")
			b.ReportMetric(float64(hwm)/1024, kind+"_peak_RSS_MB")
		}
		require.Equal(b, sums["csv"], sums["parquet"], "the Parquet and CSV profiles of the same rows differ")
		fmt.Printf("profile JSON sha256 identical for both: %s\n", sums["csv"])
	}
}

// TestWriteBenchParquet writes the benchmark's table to BASELINE_WRITE (a
// Parquet path; the CSV beside it) for profiling a single import by hand.
func TestWriteBenchParquet(t *testing.T) {
	path := os.Getenv("BASELINE_WRITE")
	if path == "" {
		t.Skip("set BASELINE_WRITE=/tmp/x.parquet and BASELINE_PARQUET_MB")
	}
	mb, err := strconv.ParseInt(os.Getenv("BASELINE_PARQUET_MB"), 10, 64)
	require.NoError(t, err, "BASELINE_PARQUET_MB")
	rows := writeBenchTables(t, path, strings.TrimSuffix(path, ".parquet")+".csv", mb<<20)
	t.Logf("%d rows", rows)
}
