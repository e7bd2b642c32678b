package alerting

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/events"
	"github.com/mlectl/mlectl/tsdb"
)

// t0 is a minute-aligned start for explicit evaluation timestamps.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

func openDB(t *testing.T, dir string) *tsdb.DB {
	t.Helper()
	db, err := tsdb.Open(dir, tsdb.Options{OutOfOrderWindow: 24 * time.Hour, Now: func() time.Time { return t0 }})
	require.NoError(t, err)
	return db
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// appendSeries writes v(minute) for each minute in [from, to].
func appendSeries(t *testing.T, db *tsdb.DB, lset labels.Labels, from, to int, v func(min int) float64) {
	t.Helper()
	app := db.Appender(context.Background())
	for m := from; m <= to; m++ {
		_, err := app.Append(0, lset, at(m).UnixMilli(), v(m))
		require.NoError(t, err)
	}
	require.NoError(t, app.Commit())
}

// query runs an instant PromQL query on db at ts.
func query(t *testing.T, db *tsdb.DB, q string, ts time.Time) promql.Vector {
	t.Helper()
	eng := promql.NewEngine(promql.EngineOpts{MaxSamples: 1e6, Timeout: time.Minute})
	qr, err := eng.NewInstantQuery(context.Background(), db, nil, q, ts)
	require.NoError(t, err)
	defer qr.Close()
	res := qr.Exec(context.Background())
	require.NoError(t, res.Err)
	v, err := res.Vector()
	require.NoError(t, err)
	return v
}

// eventLog is an in-memory events.Recorder for assertions.
type eventLog struct {
	mu  sync.Mutex
	evs []events.Event
}

func (l *eventLog) Record(_ context.Context, e events.Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, e)
	return nil
}

func (l *eventLog) kinds() []events.Kind {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ks []events.Kind
	for _, e := range l.evs {
		ks = append(ks, e.Kind)
	}
	return ks
}

func (l *eventLog) all() []events.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]events.Event(nil), l.evs...)
}

func alertStates(m *Manager, name string) []string {
	var out []string
	for _, a := range m.Alerts() {
		if a.Name == name {
			out = append(out, a.State)
		}
	}
	return out
}

type appendable interface {
	Appender(ctx context.Context) storage.Appender
}

func appendAt(t *testing.T, db appendable, lset labels.Labels, min int, v float64) {
	t.Helper()
	app := db.Appender(context.Background())
	_, err := app.Append(0, lset, at(min).UnixMilli(), v)
	require.NoError(t, err)
	require.NoError(t, app.Commit())
}
