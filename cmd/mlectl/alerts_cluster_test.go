package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/alerting"
	"github.com/mlectl/mlectl/api"
)

// A cluster's merged list says whose each alert is; a collector's own
// list keeps its columns.
func TestPrintAlertsCollectorColumn(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		as    []alerting.ActiveAlert
		first string
		want  []string
	}{
		{"alone", []alerting.ActiveAlert{{ID: "a1", Name: "DiskLow", State: "firing", ActiveAt: at}}, "ID", nil},
		{"cluster", []alerting.ActiveAlert{
			{ID: "a1", Name: "DiskLow", State: "firing", ActiveAt: at, Collector: &api.ModelCollector{Name: "collector-a", Reachable: true}},
			{ID: "b1", Name: "FraudDrift", State: "firing", ActiveAt: at, Collector: &api.ModelCollector{Name: "collector-b"}},
		}, "COLLECTOR", []string{"collector-a ", "collector-b (down)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, printAlerts(&out, tc.as))
			lines := strings.Split(out.String(), "\n")
			assert.True(t, strings.HasPrefix(lines[0], tc.first), lines[0])
			for i, w := range tc.want {
				assert.True(t, strings.HasPrefix(lines[i+1], w), lines[i+1])
			}
		})
	}
}
