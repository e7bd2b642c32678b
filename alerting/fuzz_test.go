package alerting

import (
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
)

// FuzzDecodeDriftConfig: any input either fails with an error or yields
// rule groups whose every expression Prometheus's parser accepts.
func FuzzDecodeDriftConfig(f *testing.F) {
	for _, s := range []string{
		"interval: 1m\nwindow: 5m\nmin_events: 100\ndefaults: {feature_windows: 3, dataset_share: 0.3}\n",
		"models: [{model: fraud, feature_windows: 2, min_events: -1, skew_windows: -1}]\n",
		"defaults: {severity: page, for: 10m}\nmodels: [{model: eta, dataset_share: 0.5}]\n",
	} {
		f.Add([]byte(s))
	}
	p := parser.NewParser(parser.Options{})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := DecodeDriftConfig(data)
		if err != nil {
			return
		}
		g, err := cfg.DriftRuleGroups()
		if err != nil {
			t.Fatalf("decoded config does not generate: %v", err)
		}
		for _, grp := range g.Groups {
			for _, r := range grp.Rules {
				if _, err := p.ParseExpr(r.Expr); err != nil {
					t.Fatalf("generated expression does not parse: %v\n%s", err, r.Expr)
				}
			}
		}
	})
}

// FuzzParseMatchers: silence matchers either fail or select at least one
// label with a non-empty value.
func FuzzParseMatchers(f *testing.F) {
	for _, s := range []string{
		`alertname="FeatureDrift"`,
		`alertname=~"ErrorRateSLOBurn|SLO.*Burn.*", model="fraud"`,
		`{model!="x", severity="page"}`,
		`model=~".*"`,
	} {
		f.Add(s)
	}
	p := parser.NewParser(parser.Options{})
	f.Fuzz(func(t *testing.T, in string) {
		ms, err := parseMatchers(p, in)
		if err != nil {
			return
		}
		ok := false
		for _, m := range ms {
			if !m.Matches("") {
				ok = true
			}
		}
		if !ok {
			t.Fatalf("matchers %q accepted but match every alert", in)
		}
	})
}
