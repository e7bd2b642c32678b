package shadow

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine/gpu"
)

// TestReportsNameTheBackend: live and replay reports say which backend
// scored the candidate, and a device scores it as the CPU does (under
// POCL when there is no GPU; opencl is skipped without an OpenCL platform).
func TestReportsNameTheBackend(t *testing.T) {
	ctx := context.Background()
	t0 := time.Now().Add(-time.Minute)
	recs, _, _ := fixtureRecords(t, 600, t0)
	var cpuReplay *Report
	for _, tc := range []struct{ backend, want string }{
		{"cpu", "cpu"},
		{"opencl", "opencl on "},
	} {
		t.Run(tc.backend, func(t *testing.T) {
			p, err := gpu.NewPerModel(gpu.PerModelOptions{Name: tc.backend, AllowCPU: true})
			if err != nil && tc.backend == "opencl" {
				t.Skipf("no OpenCL platform here (install ocl-icd-libopencl1 and pocl-opencl-icd): %v", err)
			}
			require.NoError(t, err)
			defer p.Close()
			reg := openRegistry(t, absPath(t, filepath.Join(binaryFixture, "model.json")))
			lg := openStore(t)
			require.NoError(t, lg.Append(ctx, recs))
			svc, err := StartService(ctx, ServiceConfig{HandlerConfig: HandlerConfig{Log: lg, Registry: reg, Backend: p}, Live: &LiveOptions{}})
			require.NoError(t, err)
			defer svc.Close()
			svc.Live.ObserveRecords(recs)
			require.Eventually(t, func() bool {
				s, ok := svc.Live.Stats("bike")
				return ok && s.Rows == uint64(len(recs))
			}, 10*time.Second, 5*time.Millisecond)

			live, err := svc.Report(ctx, ReportRequest{Model: "bike", Source: SourceLive, From: t0.Add(-time.Minute), To: time.Now().Add(time.Minute)})
			require.NoError(t, err)
			assert.Contains(t, live.Backend, tc.want)
			rep, err := svc.Report(ctx, ReportRequest{Model: "bike", Source: SourceReplay, From: t0.Add(-time.Minute), To: time.Now().Add(time.Minute)})
			require.NoError(t, err)
			assert.Equal(t, SourceReplay, rep.Source)
			assert.Contains(t, rep.Backend, tc.want)
			assert.Equal(t, len(recs), rep.Pairs)
			if cpuReplay == nil {
				cpuReplay = rep
				return
			}
			assert.Equal(t, cpuReplay.Agreement, rep.Agreement)
			assert.InDelta(t, float64(cpuReplay.MeanAbsDiff), float64(rep.MeanAbsDiff), 1e-9)
		})
	}
}
