package tui

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/tui/models"
	"github.com/mlectl/mlectl/tui/query"
)

func TestRefreshDroppedWhileInFlight(t *testing.T) {
	api := stableURL{collectorClient(t, alertsRecorded)}
	m := New(t.Context(), testConfig(api))
	v := m.views["models"].(*models.View)

	first := v.Refresh()
	require.NotNil(t, first)
	assert.Nil(t, v.Refresh(), "a tick while the fetch runs is dropped")
	assert.True(t, v.InFlight())
	v.Update(first())
	assert.False(t, v.InFlight())
	assert.Equal(t, clock, v.LastUpdate())
	assert.NotNil(t, v.Refresh(), "the next tick fetches again")

	probe := m.probeReady()
	require.NotNil(t, probe)
	assert.Nil(t, m.probeReady(), "readiness probes are dropped the same way")
	m.Update(probe())
	assert.NoError(t, m.readyErr)
	assert.NotNil(t, m.probeReady())
}

func TestQueryDiscardsStaleResults(t *testing.T) {
	api := stableURL{collectorClient(t, alertsRecorded)}
	m := New(t.Context(), testConfig(api))
	m.Update(sizeMsg(80, 24))
	q := m.views["query"].(*query.View)

	older := q.SetQuery(`sum(mle_dataset_drift_share)`)
	require.NotNil(t, older)
	newer := q.SetQuery(`count(mle_dataset_drift_share)`)
	require.NotNil(t, newer)
	q.Update(newer())
	q.Update(older()) // finishes late: must not replace the newer result
	assert.Equal(t, query.ModeChart, q.Mode(), "a drilled-into query opens as a chart")
	q.Update(tabKey())
	assert.Equal(t, query.ModeTable, q.Mode())
	lines := strings.Split(q.View(), "\n")
	assert.Contains(t, lines[0], "count(mle_dataset_drift_share)")
	assert.Contains(t, lines[1], "vector · 1 series · table")
	assert.Regexp(t, `^› \{\} +4$`, lines[3], "the count (4 models), not the older sum")
}
