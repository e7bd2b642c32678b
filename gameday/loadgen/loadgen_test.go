package loadgen_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/gameday/loadgen"
	"github.com/mlectl/mlectl/predlog"
)

func TestReadCSV(t *testing.T) {
	cases := []struct {
		name, csv, pred string
		cols            []string
		first           []predlog.Feature
		firstPred       predlog.Value
		err             string
	}{
		{"numbers strings and nulls", "temp,city,hum\n0.25,berlin,\n", "", []string{"temp", "city", "hum"},
			[]predlog.Feature{{Name: "temp", Value: predlog.Float(0.25)}, {Name: "city", Value: predlog.String("berlin")}, {Name: "hum", Value: predlog.Null}}, predlog.Value{}, ""},
		{"a prediction column by default", "x,prediction\n1,0.9\n", "", []string{"x"},
			[]predlog.Feature{{Name: "x", Value: predlog.Float(1)}}, predlog.Float(0.9), ""},
		{"a named prediction column", "x,cnt\n1,16\n", "cnt", []string{"x"},
			[]predlog.Feature{{Name: "x", Value: predlog.Float(1)}}, predlog.Float(16), ""},
		{"missing prediction column", "x\n1\n", "cnt", nil, nil, predlog.Value{}, `prediction column "cnt" is not in the CSV header`},
		{"empty", "", "", nil, nil, predlog.Value{}, "the CSV is empty"},
		{"header only", "x,y\n", "", nil, nil, predlog.Value{}, "no data rows"},
		{"unnamed column", "x,,y\n1,2,3\n", "", nil, nil, predlog.Value{}, "column 2 has no name"},
		{"ragged row", "x,y\n1,2\n3\n", "", nil, nil, predlog.Value{}, "wrong number of fields"},
		{"name too long", "x," + strings.Repeat("n", predlog.MaxNameBytes+1) + "\n1,2\n", "", nil, nil, predlog.Value{}, "the name of column 2 is 257 bytes long"},
		{"text too long", "x,y\n1,2\n3," + strings.Repeat("t", predlog.MaxStringBytes+1) + "\n", "", nil, nil, predlog.Value{}, `CSV line 3, column "y": a text value of 4097 bytes`},
		{"repeated column", "y,x,y\n1,2,3\n", "", nil, nil, predlog.Value{}, `column 3 is named "y" like column 1`},
		{"NaN and infinite cells are null", "x,y,z\nNaN,-Inf,2\n", "", []string{"x", "y", "z"},
			[]predlog.Feature{{Name: "x", Value: predlog.Null}, {Name: "y", Value: predlog.Null}, {Name: "z", Value: predlog.Float(2)}}, predlog.Value{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := loadgen.ReadCSV(strings.NewReader(tc.csv), tc.pred)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.cols, rows.Columns)
			assert.Equal(t, tc.first, rows.Features[0])
			assert.Equal(t, tc.firstPred, rows.Prediction[0])
		})
	}
}

func TestRecordsOrder(t *testing.T) {
	rows, err := loadgen.ReadCSV(strings.NewReader("i\n0\n1\n2\n3\n4\n"), "")
	require.NoError(t, err)
	ts := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, sequential := range []bool{true, false} {
		g, err := loadgen.New(rows, loadgen.Options{Collector: "http://127.0.0.1:1", Model: "m", Version: "v1", Rate: 10, Sequential: sequential, Seed: 3, RunID: "x"})
		require.NoError(t, err)
		recs := g.Records(12, ts)
		rng := rand.New(rand.NewPCG(3, 0))
		for i, r := range recs {
			want := float64(i % 5)
			if !sequential {
				want = float64(rng.IntN(5))
			}
			assert.Equal(t, want, r.Feature("i").Num, "record %d (sequential %v)", i, sequential)
			assert.Equal(t, "m", r.Model)
			assert.Equal(t, "v1", r.Version)
			assert.Equal(t, predlog.RoleProduction, r.Role)
			assert.Equal(t, ts.UnixMilli(), r.TS)
			assert.Equal(t, fmt.Sprintf("lg-x-%d", i+1), r.RequestID)
		}
	}
	_, err = loadgen.New(rows, loadgen.Options{Collector: "http://x", Model: "m", Rate: 1})
	assert.ErrorContains(t, err, "version is required")
	_, err = loadgen.New(rows, loadgen.Options{Collector: "http://x", Model: "m", Version: "v", Rate: -1})
	assert.ErrorContains(t, err, "rate must be")
}

// Cancelling a run gives up the batch in flight at once: a collector that
// does not answer cannot hold an interrupted loadgen for its 30 s timeout.
func TestRunStopsAtOnceWhenCancelled(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select { // never answers while the test runs
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first
	rows, err := loadgen.ReadCSV(strings.NewReader("x\n1\n"), "")
	require.NoError(t, err)
	g, err := loadgen.New(rows, loadgen.Options{Collector: srv.URL, Model: "m", Version: "v1", Rate: 1000, Flush: 10 * time.Millisecond})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx, 0) }()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("no batch was posted")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run still waits on the batch in flight 5s after it was cancelled")
	}
	assert.Equal(t, int64(0), g.Stats().Accepted)
}
