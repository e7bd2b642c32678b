package contract

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/drift"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/baseline"
	"github.com/mlectl/mlectl/tsdb"
)

const fraudYAML = `
model: fraud
features:
  amount: {type: numerical, min: 0, max: 1000}
  country: {type: categorical, categories: [DE, FR]}
  note: {type: categorical, nullable: true, max_null_rate: 0.5}
`

func record(feats ...predlog.Feature) *predlog.Record {
	return &predlog.Record{Model: "fraud", Version: "v7", Role: "production", Status: "ok", Features: feats}
}

func f(name string, v predlog.Value) predlog.Feature { return predlog.Feature{Name: name, Value: v} }

func TestCheckKinds(t *testing.T) {
	c, err := ParseBytes([]byte(fraudYAML))
	require.NoError(t, err)
	cases := []struct {
		name string
		rec  *predlog.Record
		want []Violation
	}{
		{"clean", record(f("amount", predlog.Float(5)), f("country", predlog.String("DE"))), nil},
		{"out of range", record(f("amount", predlog.Float(1000.5)), f("country", predlog.String("DE"))), []Violation{{"amount", KindOutOfRange}}},
		{"unseen category", record(f("amount", predlog.Float(1)), f("country", predlog.String("XX"))), []Violation{{"country", KindUnseenCategory}}},
		{"wrong types", record(f("amount", predlog.String("12")), f("country", predlog.Float(3))), []Violation{{"amount", KindWrongType}, {"country", KindWrongType}}},
		{"NaN text", record(f("amount", predlog.String("NaN")), f("country", predlog.String("DE"))), []Violation{{"amount", KindNonFinite}}},
		{"Inf text", record(f("amount", predlog.String("-Infinity")), f("country", predlog.String("DE"))), []Violation{{"amount", KindNonFinite}}},
		{"null and missing", record(f("amount", predlog.Null)), []Violation{{"amount", KindNull}, {"country", KindMissing}}},
		{"unknown feature", record(f("amount", predlog.Float(1)), f("country", predlog.String("FR")), f("zip", predlog.String("1"))), []Violation{{"zip", KindUnknownFeature}}},
		{"nullable may be null", record(f("amount", predlog.Float(1)), f("country", predlog.String("FR")), f("note", predlog.Null)), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.ElementsMatch(t, tc.want, c.Check(nil, tc.rec, nil))
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, y := range []string{
		"features: {a: {type: numerical}}",
		"model: m\nfeatures: {}",
		"model: m\nfeatures: {a: {type: text}}",
		"model: m\nfeatures: {a: {type: numerical, categories: [x]}}",
		"model: m\nfeatures: {a: {type: categorical, min: 1}}",
		"model: m\nfeatures: {a: {type: numerical, max_null_rate: 2}}",
		"model: m\nfeatures: {a: {type: numerical, colour: red}}",
	} {
		_, err := ParseBytes([]byte(y))
		assert.Error(t, err, y)
	}
}

func TestLearnFromProfile(t *testing.T) {
	frame, err := drift.ParseCSV([]byte("amount,country,age\n1.5,DE,30\n7,FR,\n3,DE,41\n"))
	require.NoError(t, err)
	p, err := baseline.FromFrame("fraud", "v7", frame, nil, time.Unix(0, 0))
	require.NoError(t, err)
	c := Learn(p)
	require.NoError(t, c.Validate())
	assert.Equal(t, Numerical, c.Features["amount"].Type)
	assert.Equal(t, 1.5, *c.Features["amount"].Min)
	assert.Equal(t, 7.0, *c.Features["amount"].Max)
	assert.Equal(t, []string{"DE", "FR"}, c.Features["country"].Categories)
	assert.False(t, c.Features["country"].Nullable)
	assert.True(t, c.Features["age"].Nullable)
	assert.InDelta(t, 2.0/3, c.Features["age"].MaxNullRate, 1e-12)
	assert.Equal(t, []Violation{{"amount", KindOutOfRange}},
		c.Check(nil, record(f("amount", predlog.Float(8)), f("country", predlog.String("DE")), f("age", predlog.Null)), nil))
}

func TestCheckerSeriesAndNullRate(t *testing.T) {
	k := NewChecker()
	c, err := ParseBytes([]byte(fraudYAML))
	require.NoError(t, err)
	require.NoError(t, k.Set(c))
	good := *record(f("amount", predlog.Float(5)), f("country", predlog.String("DE")), f("note", predlog.String("x")))
	noNote := *record(f("amount", predlog.Float(5000)), f("country", predlog.String("DE")))
	other := good
	other.Model = "churn" // no contract: never a violation
	// 3 of 4 records lack note: null rate 0.75 > 0.5 in this interval.
	k.ObserveRecords([]predlog.Record{good, noNote, noNote, noNote, other})

	db, err := tsdb.Open(t.TempDir(), tsdb.Options{})
	require.NoError(t, err)
	defer db.Close()
	ts := time.UnixMilli(1_795_687_200_000)
	require.NoError(t, k.AppendTo(context.Background(), db, ts))
	// Next interval: note present, no new null_rate violation.
	k.ObserveRecords([]predlog.Record{good})
	require.NoError(t, k.AppendTo(context.Background(), db, ts.Add(time.Minute)))

	q, err := db.Querier(ts.UnixMilli(), ts.Add(time.Minute).UnixMilli())
	require.NoError(t, err)
	defer q.Close()
	ss := q.Select(context.Background(), true, nil, labels.MustNewMatcher(labels.MatchEqual, "__name__", MetricViolations))
	got := map[string][]float64{}
	var it chunkenc.Iterator
	for ss.Next() {
		it = ss.At().Iterator(it)
		for it.Next() == chunkenc.ValFloat {
			_, v := it.At()
			got[ss.At().Labels().Get("feature")+"/"+ss.At().Labels().Get("kind")] = append(got[ss.At().Labels().Get("feature")+"/"+ss.At().Labels().Get("kind")], v)
		}
	}
	require.NoError(t, ss.Err())
	assert.Equal(t, map[string][]float64{"amount/out_of_range": {3, 3}, "note/null_rate": {1, 1}}, got)
}
