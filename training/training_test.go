package training_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/internal/testutil"
	"github.com/mlectl/mlectl/registry"
	"github.com/mlectl/mlectl/training"
	"github.com/mlectl/mlectl/tsdb"
)

var clock = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// collector is the training-run log on a real badger dir with a real
// registry that knows the model "fraud", served on 127.0.0.1.
type collector struct {
	dir   string
	db    *badger.DB
	store *training.Store
	url   string
}

func openCollector(t *testing.T, dir string) *collector {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	require.NoError(t, err)
	reg := registry.New(db, registry.Options{Now: func() time.Time { return clock }})
	if _, err := reg.Get(context.Background(), "fraud"); err != nil {
		_, err = reg.PutModel(context.Background(), registry.Model{Name: "fraud",
			Actuator: actuator.Config{Kind: actuator.KindFile, Path: "/tmp/routes.json"}}, "test")
		require.NoError(t, err)
	}
	s, err := training.Open(context.Background(), db, training.RegistryModels{Registry: reg}, func() time.Time { return clock })
	require.NoError(t, err)
	mux := http.NewServeMux()
	route.Mount(mux, training.NewHandler(s, nil).Routes())
	srv := httptest.NewServer(mux)
	c := &collector{dir: dir, db: db, store: s, url: srv.URL}
	t.Cleanup(func() { srv.Close(); _ = db.Close() })
	return c
}

func (c *collector) close(t *testing.T) { require.NoError(t, c.db.Close()) }

func (c *collector) list(t *testing.T, query string) []api.TrainingRun {
	t.Helper()
	code, b := testutil.Do(t, http.MethodGet, c.url+training.Path+query, "", "")
	require.Equal(t, http.StatusOK, code, string(b))
	var env struct{ Data []api.TrainingRun }
	require.NoError(t, json.Unmarshal(b, &env))
	return env.Data
}

// TestBadRunsAreRefused: each bad field is a 400 naming it, and nothing of
// the request is stored.
func TestBadRunsAreRefused(t *testing.T) {
	c := openCollector(t, t.TempDir())
	cases := []struct {
		name, body, field string
	}{
		{"negative cost", `{"model":"fraud","version":"v2","status":"succeeded","started":"2026-12-06T10:00:00Z","ended":"2026-12-06T11:00:00Z","cost":-3}`, "field cost"},
		{"ended before started", `{"model":"fraud","status":"failed","started":"2026-12-06T10:00:00Z","ended":"2026-12-06T09:00:00Z","cost":1}`, "field ended"},
		{"unknown status", `{"model":"fraud","status":"done","started":"2026-12-06T10:00:00Z","ended":"2026-12-06T11:00:00Z","cost":1}`, "field status"},
		{"unknown model", `{"model":"fruad","status":"succeeded","started":"2026-12-06T10:00:00Z","ended":"2026-12-06T11:00:00Z","cost":1}`, "field model"},
		{"no model", `{"status":"succeeded","started":"2026-12-06T10:00:00Z","ended":"2026-12-06T11:00:00Z"}`, "field model"},
		{"no started", `{"model":"fraud","status":"succeeded","ended":"2026-12-06T11:00:00Z"}`, "field started"},
		{"no ended", `{"model":"fraud","status":"succeeded","started":"2026-12-06T10:00:00Z"}`, "field ended"},
		{"ended in the future", `{"model":"fraud","status":"succeeded","started":"2026-12-06T10:00:00Z","ended":"2026-12-07T11:00:00Z"}`, "field ended"},
		{"unknown field", `{"model":"fraud","status":"succeeded","started":"2026-12-06T10:00:00Z","ended":"2026-12-06T11:00:00Z","gpu":"a100"}`, `unknown field "gpu"`},
		{"cost not a number", `{"model":"fraud","status":"succeeded","started":"2026-12-06T10:00:00Z","ended":"2026-12-06T11:00:00Z","cost":"12"}`, "cost"},
		{"empty body", ``, "request body is empty"},
		{"two objects", `{"model":"fraud","status":"succeeded","started":"2026-12-06T10:00:00Z","ended":"2026-12-06T11:00:00Z"} {}`, "one JSON object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := testutil.DoJSON(t, http.MethodPost, c.url+training.Path, "", tc.body)
			assert.Equal(t, http.StatusBadRequest, code)
			assert.Contains(t, out["error"], tc.field)
		})
	}
	assert.Empty(t, c.list(t, ""), "nothing stored from a refused run")
}

// TestRunsSurviveRestartAndCountOnce: runs are stored durably; the
// counters written after a restart continue from the stored totals (no
// reset to 0, no run counted twice).
func TestRunsSurviveRestartAndCountOnce(t *testing.T) {
	dir := t.TempDir()
	runs := []string{
		`{"model":"fraud","version":"v2","status":"succeeded","started":"2026-12-06T08:00:00Z","ended":"2026-12-06T09:00:00Z","cost":12.5}`,
		`{"model":"fraud","version":"v3","status":"failed","started":"2026-12-06T09:30:00Z","ended":"2026-12-06T09:40:00Z","cost":2.25}`,
		`{"model":"fraud","status":"cancelled","started":"2026-12-06T10:00:00Z","ended":"2026-12-06T10:05:00Z","cost":0.25}`,
	}
	c := openCollector(t, dir)
	for _, body := range runs[:2] {
		code, out := testutil.DoJSON(t, http.MethodPost, c.url+training.Path, "", body)
		require.Equal(t, http.StatusCreated, code, out)
	}
	c.close(t)

	c = openCollector(t, dir)
	code, out := testutil.DoJSON(t, http.MethodPost, c.url+training.Path, "", runs[2])
	require.Equal(t, http.StatusCreated, code, out)
	got := c.list(t, "?model=fraud")
	require.Len(t, got, 3)
	assert.Equal(t, []string{"succeeded", "failed", "cancelled"}, []string{got[0].Status, got[1].Status, got[2].Status}, "oldest start first")
	assert.Equal(t, "v2", got[0].Version)
	assert.Equal(t, clock, got[0].Recorded)
	assert.Len(t, c.list(t, "?from=2026-12-06T09:00:00Z&limit=1"), 1)
	assert.Equal(t, "cancelled", c.list(t, "?limit=1")[0].Status, "the limit keeps the newest")

	tdb, err := tsdb.Open(t.TempDir(), tsdb.Options{})
	require.NoError(t, err)
	defer tdb.Close()
	require.NoError(t, c.store.AppendTo(context.Background(), tdb, clock))
	assert.Equal(t, map[string]float64{
		`{model="fraud", status="succeeded"}`: 1,
		`{model="fraud", status="failed"}`:    1,
		`{model="fraud", status="cancelled"}`: 1,
	}, testutil.LastValues(t, tdb, api.MetricTrainingRunsTotal))
	assert.Equal(t, map[string]float64{`{model="fraud"}`: 12.5 + 2.25 + 0.25}, testutil.LastValues(t, tdb, api.MetricTrainingCostTotal))

	code, _ = testutil.Do(t, http.MethodGet, c.url+training.Path+"?model=fruad", "", "")
	assert.Equal(t, http.StatusNotFound, code)
}
