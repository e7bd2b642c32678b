package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type oracleDoc struct {
	ReferenceRows int `json:"reference_rows"`
	CurrentRows   int `json:"current_rows"`
	Columns       []struct {
		Name      string             `json:"name"`
		Type      string             `json:"type"`
		Stats     map[string]float64 `json:"stats"`
		Method    string             `json:"method"`
		Score     float64            `json:"score"`
		Threshold float64            `json:"threshold"`
		Drifted   bool               `json:"drifted"`
	} `json:"columns"`
	DriftedColumns int     `json:"drifted_columns"`
	ShareDrifted   float64 `json:"share_drifted"`
	DatasetDrift   bool    `json:"dataset_drift"`
}

// TestCompareMatchesOracleCases checks every statistic of Compare against
// the scipy oracle's expected.json for the cases in testdata/drift (the
// command test checks the rendered document byte structure as well).
func TestDriftCompareMatchesOracleCases(t *testing.T) {
	root := filepath.Join("..", "testdata", "drift")
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			dir := filepath.Join(root, e.Name())
			args, err := os.ReadFile(filepath.Join(dir, "args"))
			require.NoError(t, err)
			var opts Options
			f := strings.Fields(string(args))
			for i := 0; i+1 < len(f); i += 2 {
				switch f[i] {
				case "--categorical":
					opts.Categorical = strings.Split(f[i+1], ",")
				case "--columns":
					opts.Columns = strings.Split(f[i+1], ",")
				}
			}
			raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
			require.NoError(t, err)
			var want oracleDoc
			require.NoError(t, json.Unmarshal(raw, &want))
			ref, err := ReadCSVFile(filepath.Join(dir, "reference.csv"))
			require.NoError(t, err)
			cur, err := ReadCSVFile(filepath.Join(dir, "current.csv"))
			require.NoError(t, err)
			rep, err := Compare(context.Background(), ref, cur, opts)
			require.NoError(t, err)

			assert.Equal(t, want.ReferenceRows, rep.ReferenceRows)
			assert.Equal(t, want.CurrentRows, rep.CurrentRows)
			require.Len(t, rep.Columns, len(want.Columns))
			for i, wc := range want.Columns {
				gc := rep.Columns[i]
				assert.Equal(t, wc.Name, gc.Name)
				assert.Equal(t, wc.Type, gc.Kind.String(), wc.Name)
				assert.Equal(t, wc.Method, string(gc.Method), wc.Name)
				assert.Equal(t, wc.Threshold, gc.Threshold, wc.Name)
				assert.Equal(t, wc.Drifted, gc.Drifted, wc.Name)
				closeTo(t, wc.Score, gc.Score, "%s score", wc.Name)
				for k := Stat(0); k < numStats; k++ {
					wv, wok := wc.Stats[k.String()]
					gv, gok := gc.Stats.Get(k)
					require.Equal(t, wok, gok, "%s: %s present", wc.Name, k)
					if wok {
						closeTo(t, wv, gv, "%s: %s", wc.Name, k)
					}
				}
			}
			assert.Equal(t, want.DriftedColumns, rep.DriftedColumns)
			closeTo(t, want.ShareDrifted, rep.ShareDrifted)
			assert.Equal(t, want.DatasetDrift, rep.DatasetDrift)

			// The JSON rendering parses back to the same document.
			var buf bytes.Buffer
			require.NoError(t, rep.WriteJSON(&buf))
			var back oracleDoc
			require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
			assert.Equal(t, len(want.Columns), len(back.Columns))
		})
	}
	require.Positive(t, n)
}
