package skew

import (
	"math/rand/v2"
	"testing"

	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/baseline"
)

// BenchmarkHistogram: one histogram request's work on a full profile
// (baseline.MaxSample values) and a window of 100,000 continuous values.
func BenchmarkHistogram(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	sample := make([]float64, baseline.MaxSample)
	for i := range sample {
		sample[i] = float64(i) / 10
	}
	tr := New(Options{})
	if err := tr.SetBaseline(&baseline.Profile{Model: "m", Version: "v", Features: []baseline.Feature{
		{Name: "x", Type: baseline.Numerical, Count: len(sample), Min: 0, Max: sample[len(sample)-1], Sample: sample}}}); err != nil {
		b.Fatal(err)
	}
	recs := make([]predlog.Record, 100_000)
	for i := range recs {
		recs[i] = predlog.Record{Model: "m", Version: "v", TS: 1, Features: []predlog.Feature{{Name: "x", Value: predlog.Value{Kind: predlog.KindNumber, Num: rng.Float64() * 1200}}}}
	}
	tr.ObserveRecords(recs)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.Histogram("m", "v", "x", WindowOpen, 0); err != nil {
			b.Fatal(err)
		}
	}
}
