package models

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	wire "github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/client"
)

// clusterAPI is a collector of a cluster whose peer collector-b is down:
// its own model (demand) has traffic; fraud, owned by collector-b, comes
// from the merged registry list marked unreachable.
type clusterAPI struct{}

func (clusterAPI) Query(_ context.Context, q string, _ time.Time) (client.Result, error) {
	if q == QueryPredRate {
		return client.Result{Value: client.Vector{sample(12, "model", "demand", "version", "v3", "role", "production")}}, nil
	}
	return client.Result{Value: client.Vector{}}, nil
}

func (clusterAPI) QueryRange(context.Context, string, client.Range) (client.Result, error) {
	return client.Result{Value: client.Matrix{}}, nil
}

func (clusterAPI) Alerts(context.Context) ([]client.Alert, error) { return nil, nil }

func (clusterAPI) Models(context.Context) ([]client.ModelState, error) {
	return []client.ModelState{
		{Model: wire.Model{Name: "demand"}, Production: "v3", Versions: []wire.Version{{Version: "v3", Stage: wire.StageProduction, TrafficPercent: 100}},
			Collector: &wire.ModelCollector{Name: "collector-a", URL: "http://10.0.0.1:9710", Reachable: true}},
		{Model: wire.Model{Name: "fraud"}, Production: "v7", Versions: []wire.Version{{Version: "v7", Stage: wire.StageProduction, TrafficPercent: 100}},
			Collector: &wire.ModelCollector{Name: "collector-b", URL: "http://10.0.0.2:9710",
				Error: "collector collector-b (http://10.0.0.2:9710) is unreachable: connection refused"}},
	}, nil
}

// TestOwnerDown: the models view marks a model whose owner collector is
// unreachable on its row and in the footnote; the other models show as
// usual and nothing is reported as a failed query.
func TestOwnerDown(t *testing.T) {
	snap := Fetch(context.Background(), clusterAPI{}, time.Now())
	require.Empty(t, snap.Errs)
	byName := map[string]Model{}
	for _, m := range snap.Models {
		byName[m.Name] = m
	}
	require.Len(t, byName, 2)
	assert.Equal(t, "collector-b", byName["fraud"].OwnerDown)
	assert.Empty(t, byName["demand"].OwnerDown)

	v := New(benchCommon(), nil)
	v.SetSize(100, 8)
	v.Update(fetchedMsg(snap))
	cells := map[string][]string{}
	for _, r := range v.table.Rows() {
		cells[r.Key] = r.Cells
	}
	assert.Equal(t, "fraud (owner collector-b down)", cells["fraud"][colName])
	assert.Equal(t, "v7", cells["fraud"][colProd], "as last seen from its owner")
	assert.Equal(t, "demand", cells["demand"][colName])
	assert.Equal(t, "12.0", cells["demand"][colPredRate])
	screen := v.View()
	assert.Contains(t, screen, "fraud (owner…", "a narrow NAME column cuts the mark")
	assert.Contains(t, screen, "owner unreachable: collector-b", "the footnote says it whole")
	assert.NotContains(t, screen, "query failed")
	v.SetSize(160, 8)
	assert.Contains(t, v.View(), "fraud (owner collector-b down)")
}
