package sim

import (
	"bytes"
	"embed"
	"fmt"
	"math"
	"strconv"
)

//go:embed profiles/*.csv
var profileFiles embed.FS

// LoadProfile reads one of the embedded profiles ("bike_hour", "adult").
func LoadProfile(name string) (*Profile, error) {
	b, err := profileFiles.ReadFile("profiles/" + name + ".csv")
	if err != nil {
		return nil, fmt.Errorf("load profile %q: %w", name, err)
	}
	return ReadProfile(bytes.NewReader(b))
}

// DemoModels returns the demo's models: a fraud classifier and a ranker on
// census-like traffic and a demand regressor on bike-sharing traffic, each
// with a production and a shadow version.
func DemoModels() ([]*Model, error) {
	bike, err := LoadProfile("bike_hour")
	if err != nil {
		return nil, err
	}
	adult, err := LoadProfile("adult")
	if err != nil {
		return nil, err
	}
	num := func(p *Profile, name string, row int, shift map[string]float64) float64 {
		return p.Numeric[p.ColumnIndex(name)][row] + shift[name]
	}
	text := func(p *Profile, name string, row int) string { return p.Text[p.ColumnIndex(name)][row] }
	sigmoid := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

	fraud := &Model{
		Name: "fraud", Kind: Classifier, Production: "v7", Previous: "v6", Shadow: "v8",
		Profile: adult, Target: "income", RatePerSec: 40, LatencyMS: 12, ErrorRate: 0.002,
		Features: []string{"age", "workclass", "education_num", "marital_status", "occupation", "sex", "capital_gain", "hours_per_week"},
	}
	fraud.score = func(row int, p *Profile, shift map[string]float64, version string) float64 {
		x := -8.0 + 0.04*num(p, "age", row, shift) + 0.3*num(p, "education_num", row, shift) +
			0.03*num(p, "hours_per_week", row, shift) + 0.0003*num(p, "capital_gain", row, shift)
		if text(p, "marital_status", row) == "Married-civ-spouse" {
			x += 1.8
		}
		if version == "v8" {
			x += 0.15
		}
		return sigmoid(x)
	}

	demand := &Model{
		Name: "demand", Kind: Regressor, Production: "v12", Previous: "v11", Shadow: "v13",
		Profile: bike, Target: "cnt", RatePerSec: 25, LatencyMS: 25, ErrorRate: 0.003,
		Features: []string{"season", "hr", "weekday", "workingday", "weathersit", "temp", "atemp", "hum", "windspeed"},
	}
	// demand's score is additive before its clip at 0: 20 + Σ g_f(x_f).
	peak := func(hr float64) float64 { return math.Exp(-(hr-8)*(hr-8)/6) + math.Exp(-(hr-17.5)*(hr-17.5)/8) }
	// A slice, not a map: the sum's order must not vary between runs.
	terms := []struct {
		f string
		g func(x float64) float64
	}{
		{"hr", func(x float64) float64 { return 320 * peak(x) }},
		{"temp", func(x float64) float64 { return 250 * x }},
		{"hum", func(x float64) float64 { return -90 * x }},
		{"weathersit", func(x float64) float64 { return -25 * (x - 1) }},
	}
	demand.score = func(row int, p *Profile, shift map[string]float64, version string) float64 {
		y := 20.0
		for _, t := range terms {
			y += t.g(num(p, t.f, row, shift))
		}
		if version == "v13" {
			y *= 1.03
		}
		return math.Max(0, y)
	}
	// Exact Shapley values of an additive score against the training
	// profile as background (interventional): φ_f = g_f(x_f) − E[g_f(X_f)],
	// computed on the score before its clip at 0.
	means := map[string]float64{}
	for _, t := range terms {
		c := bike.ColumnIndex(t.f)
		sum := 0.0
		for _, x := range bike.Numeric[c] {
			sum += t.g(x)
		}
		means[t.f] = sum / float64(len(bike.Numeric[c]))
	}
	demand.explain = func(row int, p *Profile, shift map[string]float64, version string) map[string]float64 {
		scale := 1.0
		if version == "v13" {
			scale = 1.03
		}
		out := make(map[string]float64, len(terms))
		for _, t := range terms {
			out[t.f] = scale * (t.g(num(p, t.f, row, shift)) - means[t.f])
		}
		return out
	}

	ranker := &Model{
		Name: "ranker", Kind: Ranker, Production: "v3", Previous: "v2", Shadow: "v4",
		Profile: adult, Target: "income", RatePerSec: 15, LatencyMS: 40, ErrorRate: 0.001,
		Features: []string{"age", "education_num", "hours_per_week", "occupation"},
	}
	ranker.score = func(row int, p *Profile, shift map[string]float64, version string) float64 {
		x := -4 + 0.05*num(p, "age", row, shift) + 0.15*num(p, "education_num", row, shift)
		if version == "v4" {
			x -= 0.1
		}
		return sigmoid(x)
	}
	return []*Model{fraud, demand, ranker}, nil
}

// FormatFeature renders a feature value as text, e.g. for CSV export.
func FormatFeature(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}
