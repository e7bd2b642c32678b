package drift

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPSIScratchMatchesOracle checks the exported PSI (the one shadow
// comparisons use) against numpy/scipy's psi of every numerical column of
// the drift oracle cases.
func TestPSIScratchMatchesOracle(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "drift", "*", "expected.json"))
	require.NoError(t, err)
	shared, _ := filepath.Glob(filepath.Join("..", "..", "shared", "oracles", "drift", "*", "expected.json"))
	dirs = append(dirs, shared...)
	require.NotEmpty(t, dirs)
	var s PSIScratch
	checked := 0
	for _, exp := range dirs {
		dir := filepath.Dir(exp)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(exp)
			require.NoError(t, err)
			var doc struct {
				Columns []struct {
					Name  string             `json:"name"`
					Type  string             `json:"type"`
					Stats map[string]float64 `json:"stats"`
				} `json:"columns"`
			}
			require.NoError(t, json.Unmarshal(raw, &doc))
			require.NotEmpty(t, doc.Columns, "%s lists no columns", exp)
			ref, err := ReadCSVFile(filepath.Join(dir, "reference.csv"))
			require.NoError(t, err)
			require.NotZero(t, ref.Rows, "%s/reference.csv has no rows", dir)
			cur, err := ReadCSVFile(filepath.Join(dir, "current.csv"))
			require.NoError(t, err)
			require.NotZero(t, cur.Rows, "%s/current.csv has no rows", dir)
			for _, c := range doc.Columns {
				want, ok := c.Stats["psi"]
				if c.Type != "numerical" || !ok {
					continue
				}
				rc, cc := ref.Column(c.Name), cur.Column(c.Name)
				require.NotNil(t, rc, c.Name)
				require.NotNil(t, cc, c.Name)
				got := s.PSI(rc.Values, cc.Values)
				assert.InDelta(t, want, got, 1e-6+1e-9*want, "psi of %s", c.Name)
				checked++
			}
		})
	}
	assert.Greater(t, checked, 10)
}
