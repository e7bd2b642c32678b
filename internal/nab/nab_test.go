package nab

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ms(s string) int64 {
	t, err := time.ParseInLocation(timeLayout, s, time.UTC)
	if err != nil {
		panic(err)
	}
	return t.UnixMilli()
}

func writeCSV(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "series.csv")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestLoad(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		wantTS  []int64
		wantVS  []float64
		wantErr string
	}{
		{
			name:   "header, float noise kept exactly, file order kept",
			body:   "timestamp,value\n2014-04-10 00:09:00,94.79799999999999\n2014-04-10 00:04:00,91.958\n\n",
			wantTS: []int64{ms("2014-04-10 00:09:00"), ms("2014-04-10 00:04:00")},
			wantVS: []float64{94.79799999999999, 91.958},
		},
		{
			name:   "UTC epoch",
			body:   "timestamp,value\n1970-01-01 00:00:01,10844\n",
			wantTS: []int64{1000},
			wantVS: []float64{10844},
		},
		{name: "missing comma", body: "timestamp,value\n2014-04-10 00:09:00\n", wantErr: "line 2"},
		{name: "bad timestamp", body: "timestamp,value\n2014-13-10 00:09:00,1\n", wantErr: "timestamp"},
		{name: "bad value", body: "timestamp,value\n2014-04-10 00:09:00,abc\n", wantErr: "value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts, vs, err := Load(writeCSV(t, tc.body))
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantTS, ts)
			assert.Equal(t, tc.wantVS, vs)
		})
	}
	_, _, err := Load(filepath.Join(t.TempDir(), "absent.csv"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestSortDedup(t *testing.T) {
	cases := []struct {
		name   string
		ts     []int64
		vs     []float64
		wantTS []int64
		wantVS []float64
	}{
		{"empty", nil, nil, []int64{}, []float64{}},
		{"sorted unchanged", []int64{1, 2, 3}, []float64{1, 2, 3}, []int64{1, 2, 3}, []float64{1, 2, 3}},
		{"duplicates keep last", []int64{1, 2, 2, 2, 3}, []float64{1, 2, 20, 200, 3}, []int64{1, 2, 3}, []float64{1, 200, 3}},
		{"out of order, then duplicate", []int64{5, 6, 3, 6, 4}, []float64{5, 6, 3, 60, 4}, []int64{3, 4, 5, 6}, []float64{3, 4, 5, 60}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts, vs := SortDedup(tc.ts, tc.vs)
			assert.Equal(t, tc.wantTS, append([]int64{}, ts...))
			assert.Equal(t, tc.wantVS, append([]float64{}, vs...))
		})
	}
}

// TestTestdataExcerpts pins the properties the bundled excerpts were chosen
// for, so a replaced file cannot silently drop the case it covers.
func TestTestdataExcerpts(t *testing.T) {
	dir, err := TestdataDir()
	require.NoError(t, err)
	files, err := Files(dir)
	require.NoError(t, err)
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = filepath.Base(f)
	}
	require.Equal(t, []string{"ec2_cpu_utilization_24ae8d.csv", "ec2_cpu_utilization_825cc2.csv",
		"machine_temperature_system_failure.csv", "nyc_taxi.csv"}, names)

	ts, vs, err := Load(filepath.Join(dir, "ec2_cpu_utilization_24ae8d.csv"))
	require.NoError(t, err)
	require.Len(t, ts, 1440)
	assert.Equal(t, ms("2014-02-14 14:30:00"), ts[0])
	assert.Equal(t, 0.132, vs[0])

	_, vs, err = Load(filepath.Join(dir, "ec2_cpu_utilization_825cc2.csv"))
	require.NoError(t, err)
	assert.Equal(t, math.Float64bits(94.79799999999999), math.Float64bits(vs[1]))

	ts, vs, err = Load(filepath.Join(dir, "machine_temperature_system_failure.csv"))
	require.NoError(t, err)
	backwards := 0
	for i := 1; i < len(ts); i++ {
		if ts[i] < ts[i-1] {
			backwards++
		}
	}
	assert.Equal(t, 1, backwards, "excerpt must keep NAB's out-of-order jump")
	sts, _ := SortDedup(append([]int64{}, ts...), append([]float64{}, vs...))
	assert.Less(t, len(sts), len(ts), "excerpt must keep duplicate timestamps")
}

func TestSharedDir(t *testing.T) {
	dir, ok := SharedDir()
	if !ok {
		t.Skipf("shared NAB data not found at %s", dir)
	}
	files, err := Files(dir)
	require.NoError(t, err)
	require.Len(t, files, 24)
	total := 0
	for _, f := range files {
		ts, vs, err := Load(f)
		require.NoError(t, err, f)
		require.Equal(t, len(ts), len(vs))
		total += len(ts)
	}
	assert.Equal(t, 137301, total, "NAB realAWSCloudwatch + realKnownCause sample count")
}
