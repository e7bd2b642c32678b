package shadow

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCompareMatchesScipyOracle compares Compare with figures computed by
// scipy/numpy (testdata/oracle/gen_shadow_oracle.py): spearmanr, numpy
// quantile, Mann-Whitney AUC, RMSE and the drift oracle's PSI binning.
func TestCompareMatchesScipyOracle(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "oracle", "*", "expected.json"))
	require.NoError(t, err)
	require.Len(t, dirs, 4)
	for _, exp := range dirs {
		dir := filepath.Dir(exp)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(exp)
			require.NoError(t, err)
			var want map[string]any
			require.NoError(t, json.Unmarshal(raw, &want))
			f, err := os.Open(filepath.Join(dir, "pairs.csv"))
			require.NoError(t, err)
			defer f.Close()
			rows, err := csv.NewReader(f).ReadAll()
			require.NoError(t, err)
			var pairs []Pair
			for i, r := range rows[1:] {
				p := Pair{RequestID: strconv.Itoa(i)}
				p.Production, err = strconv.ParseFloat(r[0], 64)
				require.NoError(t, err)
				p.Candidate, err = strconv.ParseFloat(r[1], 64)
				require.NoError(t, err)
				if r[2] != "" {
					p.Label, err = strconv.ParseFloat(r[2], 64)
					require.NoError(t, err)
					p.Labelled = true
				}
				pairs = append(pairs, p)
			}
			var opts Options
			if th, ok := want["threshold"].(float64); ok {
				opts.Threshold = th
			}
			s := Compare(pairs, opts)
			num := func(k string) float64 { return want[k].(float64) }
			assert.Equal(t, int(num("pairs")), s.Pairs)
			assert.Equal(t, Task(want["task"].(string)), s.Task)
			for k, got := range map[string]float64{
				"mean_abs_diff": s.MeanAbsDiff, "p99_abs_diff": s.P99AbsDiff, "spearman": s.Spearman,
				"psi": s.PSI, "agreement": s.Agreement,
			} {
				assert.InDelta(t, num(k), got, 1e-9*max(1, num(k)), k)
			}
			if tol, ok := want["tolerance"].(float64); ok {
				assert.InDelta(t, tol, s.Tolerance, 1e-9)
			}
			if int(num("labelled")) == 0 {
				assert.Nil(t, s.Production)
				return
			}
			require.NotNil(t, s.Production)
			assert.Equal(t, int(num("labelled")), s.Production.Labelled)
			metric := "auc"
			if s.Task == TaskRegression {
				metric = "rmse"
			}
			assert.Equal(t, metric, s.Production.Metric)
			assert.InDelta(t, num(metric+"_production"), float64(s.Production.Value), 1e-9*max(1, num(metric+"_production")))
			assert.InDelta(t, num(metric+"_candidate"), float64(s.Candidate.Value), 1e-9*max(1, num(metric+"_candidate")))
		})
	}
}
