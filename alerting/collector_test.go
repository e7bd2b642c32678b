package alerting

import (
	"context"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/runbooks"
)

// TestCollectorDiskRules: the shipped disk alerts fire on the collector's
// mle_collector_disk_free_bytes series (low: under twice the reserve for
// 5m; full: under the reserve at once) and link to the shipped runbook.
func TestCollectorDiskRules(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	dir := labels.FromStrings("dir", "/var/lib/mlectl")
	free := func(name string) labels.Labels {
		return labels.NewBuilder(dir).Set(labels.MetricName, name).Labels()
	}
	const reserve = 256 << 20
	freeAt := func(min int) float64 {
		switch {
		case min < 3:
			return 10 << 30 // plenty
		case min < 12:
			return 400 << 20 // under 2x the reserve
		default:
			return 100 << 20 // under the reserve
		}
	}
	for min := 0; min <= 14; min++ {
		appendAt(t, db, free("mle_collector_disk_free_bytes"), min, freeAt(min))
		appendAt(t, db, free("mle_collector_disk_reserve_bytes"), min, reserve)
	}
	m, err := New(Options{Storage: db, CollectorRules: true})
	require.NoError(t, err)
	defer m.Stop()
	first := map[string]int{}
	for min := 0; min <= 14; min++ {
		m.EvalAt(context.Background(), at(min))
		for _, a := range m.Alerts() {
			if _, ok := first[a.Name]; !ok && a.State == "firing" {
				first[a.Name] = min
			}
		}
	}
	assert.Equal(t, map[string]int{AlertCollectorDiskLow: 8, AlertCollectorDiskFull: 12}, first)

	lib, err := runbooks.Default()
	require.NoError(t, err)
	for _, a := range m.Alerts() {
		assert.Equal(t, "/var/lib/mlectl", a.Labels["dir"])
		rbs := lib.ForAlert(a.Labels, a.Annotations)
		require.Len(t, rbs, 1, "alert %s links to one shipped runbook", a.Name)
		assert.Equal(t, RunbookCollectorDisk, rbs[0].ID)
	}
}
