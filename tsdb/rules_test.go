package tsdb

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/rules"
	"github.com/stretchr/testify/require"
)

// TestRulesManagerRecordsIntoDB runs Prometheus's rules group evaluation
// unchanged on the DB: the recording rule reads through the querier and
// writes its result back through AppenderV2.
func TestRulesManagerRecordsIntoDB(t *testing.T) {
	db := openTestDB(t, t.TempDir(), Options{})
	defer db.Close()
	ts := fixedNow
	app := db.Appender(context.Background())
	for i, f := range []string{"a", "b", "c"} {
		_, err := app.Append(0, labels.FromStrings("__name__", "x", "file", f), ts.Add(-time.Minute).UnixMilli(), float64(i+1))
		require.NoError(t, err)
	}
	require.NoError(t, app.Commit())

	ng := promql.NewEngine(promql.EngineOpts{MaxSamples: 1e6, Timeout: time.Minute, LookbackDelta: 5 * time.Minute})
	defer ng.Close()
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(`sum(x)`)
	require.NoError(t, err)
	opts := &rules.ManagerOptions{
		QueryFunc:    rules.EngineQueryFunc(ng, db),
		Context:      context.Background(),
		AppendableV2: db,
		Queryable:    db,
	}
	g := rules.NewGroup(rules.GroupOptions{
		Name: "g", File: "f", Interval: time.Minute, Opts: opts,
		Rules: []rules.Rule{rules.NewRecordingRule("x:sum", expr, labels.FromStrings("team", "ml"))},
	})
	g.Eval(context.Background(), ts)
	require.NoError(t, g.Rules()[0].LastError())

	got := queryAll(t, db, ts.Add(-time.Hour).UnixMilli(), ts.UnixMilli(), eq("__name__", "x:sum"))
	require.Equal(t, map[string][]point{`{__name__="x:sum", team="ml"}`: {{T: ts.UnixMilli(), V: 6}}}, got)
}
