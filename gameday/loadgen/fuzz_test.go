package loadgen_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/gameday/loadgen"
	"github.com/mlectl/mlectl/predlog"
)

// FuzzReadCSV: any CSV either is refused or gives rows of one feature per
// column, and every record built from them is NDJSON the collector's
// decoder accepts with the same feature values.
func FuzzReadCSV(f *testing.F) {
	f.Add("temp,city,hum\n0.25,berlin,\n", "")
	f.Add("x,prediction\n1,0.9\n", "")
	f.Add("x,cnt\n1,16\n", "cnt")
	f.Add("a,b\n\"q\"\"x\",2\n", "")
	f.Add("x\nNaN\n", "")
	f.Add("x,y\n1\n", "")
	f.Fuzz(func(t *testing.T, csv, predCol string) {
		rows, err := loadgen.ReadCSV(strings.NewReader(csv), predCol)
		if err != nil {
			require.Nil(t, rows)
			return
		}
		require.Positive(t, rows.Len())
		require.Len(t, rows.Prediction, rows.Len())
		for _, c := range rows.Columns {
			require.NotEmpty(t, c)
		}
		for _, feats := range rows.Features {
			require.Len(t, feats, len(rows.Columns))
		}
		g, err := loadgen.New(rows, loadgen.Options{Collector: "http://127.0.0.1:1", Model: "m", Version: "v", Rate: 1, Sequential: true})
		require.NoError(t, err)
		dec := predlog.NewDecoder(nil)
		for i, rec := range g.Records(min(rows.Len(), 8), time.UnixMilli(1_700_000_000_000)) {
			line := predlog.AppendJSON(nil, &rec)
			var got predlog.Record
			require.NoError(t, dec.Decode(line, &got), "row %d: %s", i, line)
			for _, want := range rec.Features {
				v := got.Feature(want.Name)
				require.Equal(t, want.Kind, v.Kind, "row %d feature %q: %s", i, want.Name, line)
			}
		}
	})
}
