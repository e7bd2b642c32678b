package shadow

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/predlog"
)

func TestPairLogged(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	type spec struct {
		name       string
		recs       func() []predlog.Record
		q          LoggedQuery
		paired     int
		unpaired   int
		nonNumeric int
		candidate  string
		production string
		cand       float64
	}
	rec := func(version, role string, i int, ts time.Time, pred float64) predlog.Record {
		return record(version, role, id(i), ts, nil, nil, pred)
	}
	cases := []spec{
		{name: "interleaved pairs within a bound of 1", q: LoggedQuery{MaxPending: 1}, paired: 100, candidate: "v2", production: "v1", cand: 0.2,
			recs: func() []predlog.Record {
				var rs []predlog.Record
				for i := range 100 {
					rs = append(rs, rec("v1", "production", i, t0.Add(time.Duration(2*i)*time.Second), 0.1),
						rec("v2", "shadow", i, t0.Add(time.Duration(2*i+1)*time.Second), 0.2))
				}
				return rs
			}},
		{name: "shadow far behind production, bound 10: every record given up", q: LoggedQuery{MaxPending: 10}, paired: 0, unpaired: 200, candidate: "v2", production: "v1",
			recs: func() []predlog.Record {
				var rs []predlog.Record
				for i := range 100 {
					rs = append(rs, rec("v1", "production", i, t0.Add(time.Duration(i)*time.Second), 0.1),
						rec("v2", "shadow", i, t0.Add(time.Hour+time.Duration(i)*time.Second), 0.2))
				}
				return rs
			}},
		{name: "same, bound 200: all pair", q: LoggedQuery{MaxPending: 200}, paired: 100, candidate: "v2", production: "v1", cand: 0.2,
			recs: func() []predlog.Record {
				var rs []predlog.Record
				for i := range 100 {
					rs = append(rs, rec("v1", "production", i, t0.Add(time.Duration(i)*time.Second), 0.1),
						rec("v2", "shadow", i, t0.Add(time.Hour+time.Duration(i)*time.Second), 0.2))
				}
				return rs
			}},
		{name: "first candidate version wins, other ignored; errors and labels not paired", paired: 3, unpaired: 1, nonNumeric: 1, candidate: "v2", production: "v1", cand: 0.3,
			recs: func() []predlog.Record {
				rs := []predlog.Record{
					rec("v1", "production", 0, t0, 0.1), rec("v2", "canary", 0, t0, 0.3),
					rec("v1", "production", 1, t0.Add(time.Second), 0.1), rec("v3", "shadow", 1, t0.Add(time.Second), 0.3),
					rec("v1", "production", 2, t0.Add(2*time.Second), 0.1), rec("v2", "canary", 2, t0.Add(2*time.Second), 0.3),
					rec("v1", "production", 3, t0.Add(3*time.Second), 0.1), rec("v2", "canary", 3, t0.Add(3*time.Second), 0.3),
					rec("v1", "production", 4, t0.Add(4*time.Second), 0.1),
				}
				rs[8].Status = predlog.StatusError // not paired, not counted
				label := rec("v2", "canary", 4, t0.Add(4*time.Second), 0)
				label.Prediction = predlog.Prediction{Value: predlog.String("fraud")}
				rs = append(rs, label)
				return rs
			}},
		{name: "explicit candidate", q: LoggedQuery{CandidateVersion: "v3"}, paired: 1, unpaired: 3, candidate: "v3", production: "v1", cand: 0.3,
			recs: func() []predlog.Record {
				return []predlog.Record{
					rec("v1", "production", 0, t0, 0.1), rec("v2", "shadow", 0, t0, 0.3),
					rec("v1", "production", 1, t0.Add(time.Second), 0.1), rec("v3", "shadow", 1, t0.Add(time.Second), 0.3),
					rec("v1", "production", 2, t0.Add(2*time.Second), 0.1),
					rec("v0", "production", 3, t0.Add(3*time.Second), 0.1),
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lg := openStore(t)
			require.NoError(t, lg.Append(context.Background(), tc.recs()))
			q := tc.q
			q.Model = "bike"
			var pairs []Pair
			info, err := PairLogged(context.Background(), lg, nil, q, func(p Pair) { pairs = append(pairs, p) })
			require.NoError(t, err)
			assert.Equal(t, tc.paired, info.Paired)
			assert.Len(t, pairs, tc.paired)
			assert.Equal(t, tc.unpaired, info.Unpaired)
			assert.Equal(t, tc.nonNumeric, info.NonNumeric)
			assert.Equal(t, tc.candidate, info.CandidateVersion)
			assert.Equal(t, tc.production, info.ProductionVersion)
			for _, p := range pairs {
				assert.Equal(t, 0.1, p.Production)
				assert.Equal(t, tc.cand, p.Candidate)
			}
		})
	}
}

// TestReplayMapsFeaturesByName logs the fixture rows with their features in
// a different order per record, unknown extra features and missing ones
// left out or sent as null, and checks that the replayed candidate scores
// are XGBoost's own predictions.
func TestReplayMapsFeaturesByName(t *testing.T) {
	header, rows, want := fixtureRows(t, binaryFixture)
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var recs []predlog.Record
	for i, row := range rows {
		names := append([]string(nil), header...)
		// rotate the order by i
		names = append(names[i%len(names):], names[:i%len(names)]...)
		r := record("v1", "production", id(i), t0.Add(time.Duration(i)*time.Millisecond), names, row, 0.5)
		r.Features = append(r.Features, predlog.Feature{Name: "unused_" + header[i%3], Value: predlog.String("x")})
		if i%2 == 0 {
			for _, h := range header {
				if _, ok := row[h]; !ok {
					r.Features = append(r.Features, predlog.Feature{Name: h, Value: predlog.Null})
				}
			}
		}
		recs = append(recs, r)
	}
	// A shadow record and an error record are not replayed.
	recs = append(recs, record("v2", "shadow", id(0), t0, header, rows[0], 0.9))
	bad := record("v1", "production", "err", t0, header, rows[0], 0.9)
	bad.Status = predlog.StatusError
	recs = append(recs, bad)
	lg := openStore(t)
	require.NoError(t, lg.Append(context.Background(), recs))

	cand, err := LoadCandidate(filepath.Join(binaryFixture, "model.json"), "v2", nil)
	require.NoError(t, err)
	assert.Equal(t, header, cand.Features, "the model file names its features")
	for _, batch := range []int{1, 7, 4096} {
		t.Run("batch", func(t *testing.T) {
			got := map[string]float64{}
			info, err := Replay(context.Background(), lg, nil, cand, engine.CPU{}, ReplayQuery{Model: "bike", BatchRows: batch},
				func(p Pair) { got[p.RequestID] = p.Candidate; assert.Equal(t, 0.5, p.Production) })
			require.NoError(t, err)
			assert.Equal(t, len(rows), info.Rows)
			assert.Equal(t, 1, info.Skipped)
			assert.Equal(t, "v1", info.ProductionVersion)
			assert.Greater(t, info.RowsPerSecond, 0.0)
			require.Len(t, got, len(rows))
			for i := range rows {
				relClose(t, want[i], got[id(i)], id(i))
			}
		})
	}
}

func TestLoadCandidateErrors(t *testing.T) {
	cases := []struct {
		name, path string
		features   []string
		want       string
	}{
		{"missing file", "/nonexistent/model.json", nil, "reading candidate model"},
		{"multi-output model", "../testdata/models/xgboost_bike_multiclass/model.json", nil, "one score per row"},
		{"unnamed features, names missing", "../testdata/models/lightgbm_breast_cancer_dart/lg_dart_breast_cancer.model", []string{"a"}, "unnamed feature columns"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadCandidate(tc.path, "v", tc.features)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	uri := []struct {
		in, want string
		ok       bool
	}{
		{"file:///srv/m.json", "/srv/m.json", true},
		{"file:m.json", "m.json", true},
		{"/srv/m.json", "/srv/m.json", true},
		{"models/m.json", "models/m.json", true},
		{"s3://bucket/m.json", "", false},
		{"", "", false},
	}
	for _, u := range uri {
		got, err := LocalArtifact(u.in)
		if !u.ok {
			assert.Error(t, err, u.in)
			continue
		}
		require.NoError(t, err, u.in)
		assert.Equal(t, u.want, got)
	}
}

// TestReplayLightGBMNamesFromModelText: a LightGBM model.txt names its
// features on its feature_names= line; records carrying those names replay
// to LightGBM's own predictions (leaves' fixture, 1e-6).
func TestReplayLightGBMNamesFromModelText(t *testing.T) {
	dir := "../testdata/models/lightgbm_breast_cancer_dart"
	cand, err := LoadCandidate(filepath.Join(dir, "lg_dart_breast_cancer.model"), "v2", nil)
	require.NoError(t, err)
	require.Len(t, cand.Features, cand.Model.NumFeatures())
	assert.Equal(t, "Column_0", cand.Features[0])
	assert.Equal(t, "Column_29", cand.Features[29])

	raw, err := os.ReadFile(filepath.Join(dir, "breast_cancer_test.tsv"))
	require.NoError(t, err)
	wantRaw, err := os.ReadFile(filepath.Join(dir, "lg_dart_breast_cancer_true_predictions.txt"))
	require.NoError(t, err)
	want := strings.Fields(string(wantRaw))
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var recs []predlog.Record
	for i, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		r := predlog.Record{Model: "cancer", Version: "v1", Role: predlog.RoleProduction, RequestID: id(i),
			Status: predlog.StatusOK, TS: t0.Add(time.Duration(i) * time.Second).UnixMilli(), Prediction: predlog.Prediction{Value: predlog.Float(0.5)}}
		cells := strings.Split(line, "\t")
		for j := len(cells) - 1; j >= 0; j-- { // reversed order: matched by name
			v, err := strconv.ParseFloat(cells[j], 64)
			require.NoError(t, err)
			r.Features = append(r.Features, predlog.Feature{Name: "Column_" + strconv.Itoa(j), Value: predlog.Float(v)})
		}
		recs = append(recs, r)
	}
	require.Len(t, recs, len(want))
	lg := openStore(t)
	require.NoError(t, lg.Append(context.Background(), recs))
	got := map[string]float64{}
	_, err = Replay(context.Background(), lg, nil, cand, engine.CPU{}, ReplayQuery{Model: "cancer"}, func(p Pair) { got[p.RequestID] = p.Candidate })
	require.NoError(t, err)
	for i, w := range want {
		wv, err := strconv.ParseFloat(w, 64)
		require.NoError(t, err)
		assert.InDelta(t, wv, got[id(i)], 1e-6, id(i))
	}
}
