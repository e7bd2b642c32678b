package alerting

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/teststorage"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/tsdb"
)

const (
	benchSLOs     = 1000
	benchScrape   = time.Minute
	benchHistory  = 3*24*time.Hour + time.Hour // the longest SLI window (3d) plus margin
	benchInterval = 30 * time.Second
)

// writeBenchSpecs writes one mlectl/v1 spec with n availability SLOs, one
// per model.
func writeBenchSpecs(b *testing.B, n int) string {
	var sb strings.Builder
	sb.WriteString("version: mlectl/v1\nservice: fleet\nslos:\n")
	for i := range n {
		fmt.Fprintf(&sb, "  - name: m%04d-availability\n    objective: 99.9\n    ml: {model: m%04d, availability: {}}\n    alerting: {name: ModelErrors}\n", i, i)
	}
	p := filepath.Join(b.TempDir(), "fleet.yml")
	require.NoError(b, os.WriteFile(p, []byte(sb.String()), 0o644))
	return p
}

// seedBench writes mle_predictions_total{status="ok"|"error"} for n models,
// one sample per benchScrape over benchHistory ending at end: 0.05% errors.
func seedBench(b *testing.B, st storage.Appendable, n int, end time.Time) {
	start := end.Add(-benchHistory)
	lsets := make([]labels.Labels, 0, 2*n)
	for i := range n {
		m := fmt.Sprintf("m%04d", i)
		lsets = append(lsets,
			labels.FromStrings("__name__", "mle_predictions_total", "model", m, "version", "v1", "role", "primary", "status", "ok"),
			labels.FromStrings("__name__", "mle_predictions_total", "model", m, "version", "v1", "role", "primary", "status", "error"))
	}
	refs := make([]storage.SeriesRef, len(lsets))
	step := 0
	for ts := start; !ts.After(end); ts = ts.Add(benchScrape) {
		app := st.Appender(context.Background())
		for j, ls := range lsets {
			v := float64(step) * 1999
			if j%2 == 1 {
				v = float64(step)
			}
			ref, err := app.Append(refs[j], ls, ts.UnixMilli(), v)
			require.NoError(b, err)
			refs[j] = ref
		}
		require.NoError(b, app.Commit())
		step++
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEvaluate1000SLOs evaluates the rules generated for 1,000
// availability SLOs (7 SLI windows up to 3d, meta recordings, page and
// ticket alerts: 1,000 x 17 rules) over 3 days of per-minute counters, one
// round per iteration at 30s steps. cores = CPU seconds per round / 30s:
// the share of one core that evaluating them every 30s takes. The baseline
// is the same rules on Prometheus's own TSDB head (util/teststorage).
// Run with -benchtime=Nx (each store is seeded once, ~9M samples).
func BenchmarkEvaluate1000SLOs(b *testing.B) {
	// Stores and managers live as long as the parent benchmark: the
	// framework calls each sub-benchmark several times (N=1, then N), and
	// a sub-benchmark's cleanups run after each call.
	parent := b
	spec := writeBenchSpecs(b, benchSLOs)
	end := time.Now().UTC().Truncate(benchInterval)
	stores := []struct {
		name string
		open func(b *testing.B) storage.Storage
	}{
		{"store=mlectl-tsdb", func(b *testing.B) storage.Storage {
			db, err := tsdb.Open(parent.TempDir(), tsdb.Options{OutOfOrderWindow: -1})
			require.NoError(b, err)
			parent.Cleanup(func() { db.Close() })
			return db
		}},
		{"store=prometheus-head", func(*testing.B) storage.Storage { return teststorage.New(parent) }},
	}
	for _, s := range stores {
		var (
			m     *Manager
			round int
		)
		b.Run(s.name, func(b *testing.B) {
			if m == nil {
				st := s.open(b)
				seedBench(b, st, benchSLOs, end)
				var err error
				m, err = New(Options{Storage: st, SLOSpecs: []string{spec}, EvalInterval: benchInterval})
				require.NoError(b, err)
				parent.Cleanup(m.Stop)
				rules := 0
				for _, g := range m.RuleGroups() {
					rules += len(g.Rules())
				}
				b.Logf("%s: %d groups, %d rules", s.name, len(m.RuleGroups()), rules)
			}
			ctx := context.Background()
			b.ResetTimer()
			cpu0 := cpuTime()
			for range b.N {
				round++
				m.EvalAt(ctx, end.Add(time.Duration(round)*benchInterval))
			}
			perRound := (cpuTime() - cpu0).Seconds() / float64(b.N)
			b.StopTimer()
			// A failing rule is cheap: make sure every rule really ran.
			for _, g := range m.RuleGroups() {
				for _, r := range g.Rules() {
					require.NoError(b, r.LastError(), "rule %s", r.Name())
				}
			}
			ratio := query3d(b, m, end.Add(time.Duration(round)*benchInterval))
			require.Equal(b, benchSLOs, ratio, "slo:sli_error:ratio_rate3d series")
			b.ReportMetric(perRound, "cpu-s/round")
			b.ReportMetric(perRound/benchInterval.Seconds(), "cores")
		})
	}
}

func query3d(b *testing.B, m *Manager, ts time.Time) int {
	q, err := m.opts.Engine.NewInstantQuery(context.Background(), m.opts.Storage, nil, `slo:sli_error:ratio_rate3d > 0.0004 < 0.0006`, ts)
	require.NoError(b, err)
	defer q.Close()
	v, err := q.Exec(context.Background()).Vector()
	require.NoError(b, err)
	return len(v)
}
