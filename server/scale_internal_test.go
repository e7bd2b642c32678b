package server

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWithMatcher(t *testing.T) {
	m := labels.MustNewMatcher(labels.MatchEqual, LabelCollector, "collector-a")
	for _, tc := range []struct{ in, want string }{
		{`up`, `up{collector="collector-a"}`},
		{`sum by (model) (rate(mle_predictions_total{role!="shadow"}[5m]))`, `sum by (model) (rate(mle_predictions_total{collector="collector-a",role!="shadow"}[5m]))`},
		{`a / on (model) group_left b`, `a{collector="collector-a"} / on (model) group_left () b{collector="collector-a"}`},
		{`min_over_time(x[1m:10s]) unless y offset 5m`, `min_over_time(x{collector="collector-a"}[1m:10s]) unless y{collector="collector-a"} offset 5m`},
		{`x{collector="collector-a"}`, `x{collector="collector-a"}`},
		{`vector(1)`, `vector(1)`},
	} {
		got, err := withMatcher(tc.in, m)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	_, err := withMatcher(`sum(`, m)
	require.Error(t, err)
}

func TestScopeRuleQueries(t *testing.T) {
	var seen []string
	query := func(_ context.Context, qs string, _ time.Time) (promql.Vector, error) {
		seen = append(seen, qs)
		return nil, nil
	}
	scoped := scopeRuleQueries(query, "collector-a", []string{"/etc/mlectl/fleet.yml"})
	group := func(file string) context.Context {
		return promql.NewOriginContext(context.Background(), map[string]any{"ruleGroup": map[string]string{"file": file, "name": "g"}})
	}
	for _, ctx := range []context.Context{group("/etc/mlectl/fleet.yml"), group("mlectl:drift-rules"), group("/etc/mlectl/own.yml"), context.Background()} {
		_, err := scoped(ctx, `up`, time.Now())
		require.NoError(t, err)
	}
	assert.Equal(t, []string{`up`, `up{collector="collector-a"}`, `up{collector="collector-a"}`, `up{collector="collector-a"}`}, seen,
		"the fleet's file sees every collector; generated and own rules see collector-a's series")
}
