package slo_test

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/slo"
)

// validSLO is a minimal valid SLO body, indented to sit under slos:.
const validSLO = `  - name: avail
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(reqs{code="500"}[{{.window}}]))
        total_query: sum(rate(reqs[{{.window}}]))
    alerting:
      name: Avail
`

func TestSLOParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec string
		want []string // substrings of the error
	}{
		{"objective above 100", "version: prometheus/v1\nservice: svc\nslos:\n" + strings.Replace(validSLO, "99.9", "120", 1),
			[]string{"slos[0].objective (line 5)", "must be a percentage in (0, 100)", "got 120"}},
		{"objective 100 leaves no budget", "version: prometheus/v1\nservice: svc\nslos:\n" + strings.Replace(validSLO, "99.9", "100", 1),
			[]string{"slos[0].objective (line 5)", "got 100"}},
		{"objective zero", "version: prometheus/v1\nservice: svc\nslos:\n" + strings.Replace(validSLO, "99.9", "0", 1),
			[]string{"slos[0].objective (line 5)", "got 0"}},
		{"objective missing", "version: prometheus/v1\nservice: svc\nslos:\n" + strings.Replace(validSLO, "    objective: 99.9\n", "", 1),
			[]string{"slos[0].objective (line 4)", "got 0"}},
		{"objective not a number", "version: prometheus/v1\nservice: svc\nslos:\n" + strings.Replace(validSLO, "99.9", "high", 1),
			[]string{"line 5", "cannot unmarshal !!str `high` into float64"}},
		{"missing total query", "version: prometheus/v1\nservice: svc\nslos:\n" + strings.Replace(validSLO, "        total_query: sum(rate(reqs[{{.window}}]))\n", "", 1),
			[]string{"slos[0].sli.events.total_query (line 7)", "is required"}},
		{"missing error ratio query", "version: prometheus/v1\nservice: svc\nslos:\n  - name: ab\n    objective: 99\n    sli:\n      raw: {}\n    alerting: {name: A}\n",
			[]string{"slos[0].sli.raw.error_ratio_query (line 7)", "is required"}},
		{"events and raw", "version: prometheus/v1\nservice: svc\nslos:\n" + strings.Replace(validSLO, "    alerting:", "      raw:\n        error_ratio_query: x[{{.window}}]\n    alerting:", 1),
			[]string{"slos[0].sli (line 6)", "give either events or raw, not both"}},
		{"no sli", "version: prometheus/v1\nservice: svc\nslos:\n  - name: ab\n    objective: 99\n    alerting: {name: A}\n",
			[]string{"slos[0].sli (line 4)", "is required"}},
		{"query without window", "version: prometheus/v1\nservice: svc\nslos:\n" + strings.Replace(validSLO, `reqs{code="500"}[{{.window}}]`, `reqs{code="500"}[5m]`, 1),
			[]string{"slos[0].sli.events.error_query (line 8)", "{{.window}}"}},
		{"bad promql", "version: prometheus/v1\nservice: svc\nslos:\n" + strings.Replace(validSLO, `sum(rate(reqs[{{.window}}]))`, `sum(rate(reqs[{{.window}}])`, 1),
			[]string{"slos[0].sli.events.total_query (line 9)", "not valid PromQL"}},
		{"same queries", "version: prometheus/v1\nservice: svc\nslos:\n" + strings.Replace(validSLO, `reqs{code="500"}`, `reqs`, 1),
			[]string{"slos[0].sli.events (line 7)", "same query"}},
		{"bad yaml", "version: prometheus/v1\nservice: svc\nslos:\n  - name: ab\n    objective: [99\n",
			[]string{"line 4", "did not find expected ',' or ']'"}},
		{"tab indentation", "version: prometheus/v1\nservice: svc\nslos:\n\t- name: a\n",
			[]string{"line 4", "tabs cannot indent YAML"}},
		{"unknown field", "version: prometheus/v1\nservice: svc\nslos:\n" + strings.Replace(validSLO, "objective", "objetive", 1),
			[]string{"line 5", `unknown field "objetive" in an SLO`}},
		{"sloth plugins", "version: prometheus/v1\nservice: svc\nslo_plugins:\n  chain: []\nslos:\n" + validSLO,
			[]string{"line 3", `unknown field "slo_plugins" in the spec (Sloth plugins are not supported)`}},
		{"no version", "service: svc\nslos:\n" + validSLO, []string{"version", "is required"}},
		{"wrong version", "version: prometheus/v2\nservice: svc\nslos:\n" + validSLO, []string{"version (line 1)", `unknown version "prometheus/v2"`}},
		{"no service", "version: prometheus/v1\nslos:\n" + validSLO, []string{"service (line 1)", "is required"}},
		{"bad service name", "version: prometheus/v1\nservice: my service\nslos:\n" + validSLO, []string{"service (line 2)", `"my service" must start and end`}},
		{"no slos", "version: prometheus/v1\nservice: svc\n", []string{"slos", "at least one SLO"}},
		{"duplicate slo name", "version: prometheus/v1\nservice: svc\nslos:\n" + validSLO + validSLO, []string{"slos[1].name (line 12)", `"avail" is already used by slos[0]`}},
		{"duplicate id across documents", "version: prometheus/v1\nservice: svc\nslos:\n" + validSLO + "---\nversion: prometheus/v1\nservice: svc\nslos:\n" + validSLO,
			[]string{`SLO ID "svc-avail" is defined twice`}},
		{"missing alert name", "version: prometheus/v1\nservice: svc\nslos:\n" + strings.Replace(validSLO, "      name: Avail\n", "      labels: {a: b}\n", 1),
			[]string{"slos[0].alerting.name (line 10)", "required unless both"}},
		{"bad label name", "version: prometheus/v1\nservice: svc\nlabels:\n  \"\": x\nslos:\n" + validSLO, []string{`labels. (line 4)`, "not a valid label name"}},
		{"empty label value", "version: prometheus/v1\nservice: svc\nslos:\n" + strings.Replace(validSLO, "      name: Avail\n", "      name: Avail\n      labels:\n        team: \"\"\n", 1),
			[]string{"slos[0].alerting.labels.team (line 13)", "label value is empty"}},
		{"ml needs mlectl version", "version: prometheus/v1\nservice: svc\nslos:\n  - name: ab\n    objective: 99\n    ml: {model: m, availability: {}}\n    alerting: {name: A}\n",
			[]string{"slos[0].ml (line 6)", "need version: mlectl/v1"}},
		{"ml and sli", "version: mlectl/v1\nservice: svc\nslos:\n" + strings.Replace(validSLO, "    alerting:", "    ml: {model: m, availability: {}}\n    alerting:", 1),
			[]string{"slos[0].ml (line 10)", "either sli or ml"}},
		{"ml two kinds", "version: mlectl/v1\nservice: svc\nslos:\n  - name: ab\n    objective: 99\n    ml:\n      model: m\n      availability: {}\n      drift: {}\n    alerting: {name: A}\n",
			[]string{"slos[0].ml (line 6)", "exactly one of latency, availability, quality, drift (got 2: availability, drift)"}},
		{"ml no kind", "version: mlectl/v1\nservice: svc\nslos:\n  - name: ab\n    objective: 99\n    ml:\n      model: m\n    alerting: {name: A}\n",
			[]string{"slos[0].ml (line 6)", "got 0"}},
		{"ml no model", "version: mlectl/v1\nservice: svc\nslos:\n  - name: ab\n    objective: 99\n    ml:\n      availability: {}\n    alerting: {name: A}\n",
			[]string{"slos[0].ml.model (line 6)", "is required"}},
		{"ml quoted model", "version: mlectl/v1\nservice: svc\nslos:\n  - name: ab\n    objective: 99\n    ml:\n      model: 'a\"b'\n      availability: {}\n    alerting: {name: A}\n",
			[]string{"slos[0].ml.model (line 7)", "must not contain quotes"}},
		{"ml latency threshold", "version: mlectl/v1\nservice: svc\nslos:\n  - name: ab\n    objective: 99\n    ml:\n      model: m\n      latency: {threshold: -1}\n    alerting: {name: A}\n",
			[]string{"slos[0].ml.latency.threshold (line 8)", "positive number of seconds", "got -1"}},
		{"ml quality metric", "version: mlectl/v1\nservice: svc\nslos:\n  - name: ab\n    objective: 99\n    ml:\n      model: m\n      quality: {metric: f1, target: 0.9}\n    alerting: {name: A}\n",
			[]string{"slos[0].ml.quality.metric (line 8)", `must be accuracy or mae; got "f1"`}},
		{"ml accuracy target", "version: mlectl/v1\nservice: svc\nslos:\n  - name: ab\n    objective: 99\n    ml:\n      model: m\n      quality:\n        metric: accuracy\n        target: 90\n    alerting: {name: A}\n",
			[]string{"slos[0].ml.quality.target (line 10)", "(0, 1]; got 90"}},
		{"ml drift threshold", "version: mlectl/v1\nservice: svc\nslos:\n  - name: ab\n    objective: 99\n    ml:\n      model: m\n      drift: {threshold: 0}\n    alerting: {name: A}\n",
			[]string{"slos[0].ml.drift.threshold (line 8)", "got 0"}},
		{"empty file", "", []string{"no SLO spec found"}},
		{"only comments", "# nothing\n", []string{"no SLO spec found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := slo.Parse([]byte(tc.spec))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestSLOParseSeveralProblems(t *testing.T) {
	spec := "version: prometheus/v1\nservice: svc\nslos:\n  - name: ab\n    objective: 120\n    alerting: {name: A}\n"
	_, err := slo.Parse([]byte(spec))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "2 problems")
	assert.Contains(t, err.Error(), "slos[0].objective (line 5)")
	assert.Contains(t, err.Error(), "slos[0].sli (line 4)")
	var fe *slo.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "slos[0].objective", fe.Path)
	assert.Equal(t, 5, fe.Line)
}

func TestSLOParseSlothSpec(t *testing.T) {
	data, err := os.ReadFile("testdata/getting-started.yml")
	require.NoError(t, err)
	specs, err := slo.Parse(data)
	require.NoError(t, err)
	require.Len(t, specs, 1)
	s := specs[0]
	assert.Equal(t, slo.VersionSloth, s.Version)
	assert.Equal(t, "myservice", s.Service)
	assert.Equal(t, map[string]string{"owner": "myteam", "repo": "myorg/myservice", "tier": "2"}, s.Labels)
	require.Len(t, s.SLOs, 1)
	o := s.SLOs[0]
	assert.Equal(t, "myservice-requests-availability", s.ID(o))
	assert.Equal(t, 99.9, o.Objective)
	require.NotNil(t, o.SLI.Events)
	assert.Equal(t, `sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))`, o.SLI.Events.ErrorQuery)
	assert.Equal(t, "MyServiceHighErrorRate", o.Alerting.Name)
	assert.Equal(t, map[string]string{"severity": "pageteam", "routing_key": "myteam"}, o.Alerting.PageAlert.Labels)
	assert.Equal(t, "#alerts-myteam", o.Alerting.TicketAlert.Labels["slack_channel"])
}

// TestSLOMLShorthands pins the SLI each ML shorthand expands to.
func TestSLOMLShorthands(t *testing.T) {
	data, err := os.ReadFile("testdata/ml-model.yml")
	require.NoError(t, err)
	specs, err := slo.Parse(data)
	require.NoError(t, err)
	require.Len(t, specs, 1)
	byName := map[string]slo.SLO{}
	for _, o := range specs[0].SLOs {
		byName[o.Name] = o
	}
	for _, tc := range []struct {
		slo          string
		errQ, totalQ string
		rawQ         string
	}{
		{slo: "latency-250ms",
			errQ:   `sum(rate(mle_inference_latency_seconds_count{model="fraud",role="primary"}[{{.window}}])) - sum(rate(mle_inference_latency_seconds_bucket{model="fraud",role="primary",le="0.25"}[{{.window}}]))`,
			totalQ: `sum(rate(mle_inference_latency_seconds_count{model="fraud",role="primary"}[{{.window}}]))`},
		{slo: "availability",
			errQ:   `sum(rate(mle_predictions_total{model="fraud",role="primary",status="error"}[{{.window}}])) or vector(0)`,
			totalQ: `sum(rate(mle_predictions_total{model="fraud",role="primary",status=~"ok|error"}[{{.window}}]))`},
		{slo: "accuracy",
			rawQ: `avg_over_time((min(avg_over_time(mle_model_accuracy{model="fraud"}[5m])) < bool 0.9)[{{.window}}:5m])`},
		{slo: "eta-mae",
			rawQ: `avg_over_time((max(avg_over_time(mle_model_mae{model="eta",version="v7"}[5m])) > bool 3.5)[{{.window}}:5m])`},
		{slo: "no-drift",
			rawQ: `avg_over_time((max(max_over_time(mle_dataset_drift_share{model="fraud"}[5m])) >= bool 0.5)[{{.window}}:5m])`},
	} {
		t.Run(tc.slo, func(t *testing.T) {
			o, ok := byName[tc.slo]
			require.True(t, ok)
			require.NotNil(t, o.ML, "the shorthand stays visible after expansion")
			if tc.rawQ != "" {
				require.NotNil(t, o.SLI.Raw)
				require.Nil(t, o.SLI.Events)
				assert.Equal(t, tc.rawQ, o.SLI.Raw.ErrorRatioQuery)
				return
			}
			require.NotNil(t, o.SLI.Events)
			require.Nil(t, o.SLI.Raw)
			assert.Equal(t, tc.errQ, o.SLI.Events.ErrorQuery)
			assert.Equal(t, tc.totalQ, o.SLI.Events.TotalQuery)
		})
	}
}

func TestSLOGenerateExtraLabelsAndInfo(t *testing.T) {
	data, err := os.ReadFile("testdata/ml-model.yml")
	require.NoError(t, err)
	specs, err := slo.Parse(data)
	require.NoError(t, err)
	f, err := slo.Generate(specs, slo.Options{ExtraLabels: map[string]string{"env": "prod"}})
	require.NoError(t, err)
	var info *slo.Rule
	p := parser.NewParser(parser.Options{})
	for gi, g := range f.Groups {
		for ri, r := range g.Rules {
			_, err := p.ParseExpr(r.Expr)
			require.NoError(t, err, "%s %s", g.Name, r.Record)
			if r.Record != "" {
				assert.Equal(t, "prod", r.Labels["env"], "%s %s", g.Name, r.Record)
				assert.Equal(t, "ml-platform", r.Labels["team"])
			}
			if r.Record == slo.MetricInfo && r.Labels[slo.LabelSLO] == "accuracy" {
				info = &f.Groups[gi].Rules[ri]
			}
		}
	}
	require.NotNil(t, info)
	assert.Equal(t, "mlectl/v1", info.Labels[slo.LabelSpec])
	assert.Equal(t, "mlectl", info.Labels[slo.LabelVersion])
	assert.Equal(t, "cli-gen-prom", info.Labels[slo.LabelMode])
	assert.Equal(t, "95", info.Labels[slo.LabelObjective])
	assert.Equal(t, "fraud-scorer-accuracy", info.Labels[slo.LabelID])

	_, err = slo.Generate(specs, slo.Options{Period: 24 * 3600e9})
	require.ErrorContains(t, err, "SLO period 1d is not supported")
}

func TestSLODisabledAlerts(t *testing.T) {
	spec := "version: prometheus/v1\nservice: svc\nslos:\n" + strings.Replace(validSLO, "      name: Avail\n", "      page_alert: {disable: true}\n      ticket_alert: {disable: true}\n", 1)
	specs, err := slo.Parse([]byte(spec))
	require.NoError(t, err)
	f, err := slo.Generate(specs, slo.Options{})
	require.NoError(t, err)
	require.Len(t, f.Groups, 2, "no alert group when both alerts are disabled, as in Sloth")
	assert.Equal(t, "sloth-slo-sli-recordings-svc-avail", f.Groups[0].Name)
	assert.Equal(t, "sloth-slo-meta-recordings-svc-avail", f.Groups[1].Name)
}

// TestSLOParseCorruptedSpecs is a deterministic stand-in for a fuzzing run:
// thousands of byte-level corruptions of the example specs must each give an
// error or specs whose rules are valid PromQL, never a panic.
func TestSLOParseCorruptedSpecs(t *testing.T) {
	var seeds [][]byte
	for _, p := range []string{"testdata/getting-started.yml", "testdata/ml-model.yml", "testdata/kubernetes-apiserver.yml"} {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		seeds = append(seeds, data)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	p := parser.NewParser(parser.Options{})
	accepted := 0
	for i := range 2000 {
		b := append([]byte(nil), seeds[i%len(seeds)]...)
		for range 1 + rng.IntN(4) {
			if len(b) == 0 {
				break
			}
			at := rng.IntN(len(b))
			switch rng.IntN(3) {
			case 0:
				b[at] = byte(rng.IntN(256))
			case 1:
				b = b[:at]
			default:
				b = append(b[:at], b[at+rng.IntN(len(b)-at):]...)
			}
		}
		specs, err := slo.Parse(b)
		if err != nil {
			continue
		}
		accepted++
		rules, err := slo.Generate(specs, slo.Options{})
		require.NoError(t, err, "%q", b)
		for _, g := range rules.Groups {
			for _, r := range g.Rules {
				_, err := p.ParseExpr(r.Expr)
				require.NoError(t, err, "input %q: %s", b, r.Expr)
			}
		}
	}
	// Corruptions inside comments or descriptions leave valid specs: the
	// loop exercised both the error and the generate paths.
	assert.Positive(t, accepted)
	assert.Less(t, accepted, 2000)
}

// FuzzSLOParse feeds arbitrary bytes to the spec decoder: it must return an
// error or specs that generate rules whose expressions are valid PromQL.
func FuzzSLOParse(f *testing.F) {
	for _, p := range []string{"testdata/getting-started.yml", "testdata/ml-model.yml"} {
		data, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte("version: prometheus/v1\nservice: svc\nslos:\n" + validSLO))
	f.Add([]byte("version: mlectl/v1\nservice: s\nslos:\n  - name: ab\n    objective: 99\n    ml: {model: m, latency: {threshold: 0.1}}\n    alerting: {name: A}\n"))
	p := parser.NewParser(parser.Options{})
	f.Fuzz(func(t *testing.T, data []byte) {
		specs, err := slo.Parse(data)
		if err != nil {
			require.NotEmpty(t, err.Error())
			return
		}
		rules, err := slo.Generate(specs, slo.Options{})
		require.NoError(t, err)
		for _, g := range rules.Groups {
			for _, r := range g.Rules {
				_, err := p.ParseExpr(r.Expr)
				require.NoError(t, err, "%s", r.Expr)
			}
		}
	})
}
