package shadow

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/store"
	"github.com/mlectl/mlectl/registry"
)

// binaryFixture is a binary:logistic XGBoost JSON model with named features
// and 15% missing input cells; expected_predictions.txt is XGBoost's own.
const binaryFixture = "../testdata/models/xgboost_bike_binary_missing"

// fixtureRows reads a fixture's input rows (nil map entry: missing cell)
// and XGBoost's predictions for them.
func fixtureRows(t testing.TB, dir string) (header []string, rows []map[string]float64, want []float64) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "input.csv"))
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	header = recs[0]
	for _, rec := range recs[1:] {
		m := map[string]float64{}
		for j, h := range header {
			if rec[j] == "" {
				continue
			}
			v, err := strconv.ParseFloat(rec[j], 64)
			require.NoError(t, err)
			m[h] = v
		}
		rows = append(rows, m)
	}
	if pf, err := os.Open(filepath.Join(dir, "expected_predictions.txt")); err == nil {
		defer pf.Close()
		sc := bufio.NewScanner(pf)
		for sc.Scan() {
			v, err := strconv.ParseFloat(strings.TrimSpace(sc.Text()), 64)
			require.NoError(t, err)
			want = append(want, v)
		}
	}
	return header, rows, want
}

// record builds a production/shadow record of model "bike"; features are
// written in the order of names (missing ones left out).
func record(version, role, id string, ts time.Time, names []string, feats map[string]float64, pred float64) predlog.Record {
	r := predlog.Record{Model: "bike", Version: version, Role: role, RequestID: id, Status: predlog.StatusOK,
		TS: ts.UnixMilli(), Prediction: predlog.Prediction{Value: predlog.Float(pred)}}
	for _, n := range names {
		if v, ok := feats[n]; ok {
			r.Features = append(r.Features, predlog.Feature{Name: n, Value: predlog.Float(v)})
		}
	}
	return r
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	lg, err := store.Open(t.TempDir(), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = lg.Close() })
	return lg
}

// openRegistry opens a real registry with model "bike": production v1 and
// candidate v2 at stage (shadow or canary path) with the fixture model file.
func openRegistry(t testing.TB, candidateURI string) *registry.Registry {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(t.TempDir()).WithLogger(nil))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	r := registry.New(db, registry.Options{})
	ctx := context.Background()
	_, err = r.PutModel(ctx, registry.Model{Name: "bike", Actuator: actuator.Config{Kind: "file", Path: filepath.Join(t.TempDir(), "route")}}, "t")
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(candidateURI))
	for _, v := range []registry.Version{
		{Model: "bike", Version: "v1", ArtifactURI: "s3://models/v1", Stage: registry.StageProduction},
		{Model: "bike", Version: "v2", ArtifactURI: candidateURI, Stage: registry.StageShadow},
	} {
		v.SHA256 = hex.EncodeToString(sum[:])
		_, err := r.Register(ctx, v, "t")
		require.NoError(t, err)
	}
	return r
}

func relClose(t testing.TB, want, got float64, msg string) {
	t.Helper()
	require.LessOrEqual(t, math.Abs(want-got), 1e-5*math.Max(1e-3, math.Abs(want)), "%s: want %g got %g", msg, want, got)
}

func absPath(t testing.TB, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	require.NoError(t, err)
	return a
}

func id(i int) string { return fmt.Sprintf("r%05d", i) }
