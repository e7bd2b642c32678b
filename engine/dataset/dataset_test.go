package dataset

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadDelimited(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name   string
		format Format
		in     string
		opts   Options
		want   [][]float64
	}{
		{"csv with header", FormatCSV, "a,b\n1,2\n3,4\n", Options{NumFeatures: 2, LabelColumn: -1}, [][]float64{{1, 2}, {3, 4}}},
		{"csv without header", FormatCSV, "1,2\n3,4\n", Options{NumFeatures: 2, LabelColumn: -1}, [][]float64{{1, 2}, {3, 4}}},
		{"missing spellings", FormatCSV, "a,b,c\n,NA,nan\n?,1e3,-Inf\n", Options{NumFeatures: 3, LabelColumn: -1}, [][]float64{{nan, nan, nan}, {nan, 1000, math.Inf(-1)}}},
		{"header reordered by name", FormatCSV, "b,a\n2,1\n", Options{NumFeatures: 2, LabelColumn: -1, FeatureNames: []string{"a", "b"}}, [][]float64{{1, 2}}},
		{"quoted header, CRLF", FormatCSV, "\"a\",\"b\"\r\n1,2\r\n", Options{NumFeatures: 2, LabelColumn: -1, FeatureNames: []string{"a", "b"}}, [][]float64{{1, 2}}},
		{"tsv label column dropped", FormatTSV, "7\t1\t2\n8\t3\t4\n", Options{NumFeatures: 2, LabelColumn: 0}, [][]float64{{1, 2}, {3, 4}}},
		{"tsv trailing tab", FormatTSV, "1\t2\t\n3\t4\t\n", Options{NumFeatures: 2, LabelColumn: -1}, [][]float64{{1, 2}, {3, 4}}},
		{"blank lines skipped", FormatCSV, "1,2\n\n3,4\n", Options{NumFeatures: 2, LabelColumn: -1}, [][]float64{{1, 2}, {3, 4}}},
		{"libsvm absent is NaN", FormatLibSVM, "1 0:1.5 2:3\n0 1:2 # comment\n", Options{NumFeatures: 3, LabelColumn: -1, Absent: nan}, [][]float64{{1.5, nan, 3}, {nan, 2, nan}}},
		{"libsvm absent is zero, qid", FormatLibSVM, "1 qid:3 2:3\n", Options{NumFeatures: 3, LabelColumn: -1}, [][]float64{{0, 0, 3}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Format = tc.format
			b, err := Read(strings.NewReader(tc.in), opts)
			require.NoError(t, err)
			require.Equal(t, len(tc.want), b.Rows)
			require.NoError(t, b.Validate())
			for i, row := range tc.want {
				got := b.Row(i)
				for j, v := range row {
					if math.IsNaN(v) {
						require.True(t, math.IsNaN(got[j]), "row %d col %d = %v, want NaN", i, j, got[j])
					} else {
						require.Equal(t, v, got[j], "row %d col %d", i, j)
					}
				}
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	cases := []struct {
		name    string
		format  Format
		in      string
		opts    Options
		wantErr string
	}{
		{"bad cell", FormatCSV, "a,b\n1,x\n", Options{NumFeatures: 2}, `line 2, column 2 (b): "x" is not a number`},
		{"too many columns", FormatCSV, "1,2,3\n", Options{NumFeatures: 2}, "line 1 has 3 feature columns, the model expects 2 (if the first column is a label, pass --label-column 0)"},
		{"ragged", FormatCSV, "1,2\n1,2,3\n", Options{NumFeatures: 2}, "line 2 has 3 columns, earlier lines have 2"},
		{"header width", FormatCSV, "a,b,c\n1,2\n", Options{NumFeatures: 2}, "header has 3 feature columns"},
		{"unknown name", FormatCSV, "a,z\n1,2\n", Options{NumFeatures: 2, FeatureNames: []string{"a", "b"}}, `"z" is not a model feature`},
		{"duplicate name", FormatCSV, "a,a\n1,2\n", Options{NumFeatures: 2, FeatureNames: []string{"a", "b"}}, `names feature "a" twice`},
		{"libsvm token", FormatLibSVM, "1 3\n", Options{NumFeatures: 5}, `token "3" is not index:value`},
		{"libsvm index", FormatLibSVM, "1 -3:1\n", Options{NumFeatures: 5}, "not a non-negative integer"},
		{"libsvm range", FormatLibSVM, "1 9:1\n", Options{NumFeatures: 5}, "feature index 9 is out of range"},
		{"libsvm value", FormatLibSVM, "1 2:abc\n", Options{NumFeatures: 5}, `line 1, feature 2: "abc" is not a number`},
		{"no features", FormatCSV, "1\n", Options{}, "model has 0 features"},
		{"unknown format", Format("xml"), "", Options{NumFeatures: 1}, `unknown input format "xml"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			opts.Format = tc.format
			opts.LabelColumn = -1
			_, err := Read(strings.NewReader(tc.in), opts)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestDetectFormat(t *testing.T) {
	cases := []struct {
		name, head string
		want       Format
	}{
		{"x.csv", "1\t2", FormatCSV},
		{"x.TSV", "", FormatTSV},
		{"x.libsvm", "", FormatLibSVM},
		{"x.txt", "1\t2\t3\n", FormatTSV},
		{"x.txt", "a,b\n", FormatCSV},
		{"x.txt", "1 3:1 4:1\n", FormatLibSVM},
		{"-", "1 2", FormatCSV},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, DetectFormat(tc.name, []byte(tc.head)), "%s %q", tc.name, tc.head)
	}
	_, err := ParseFormat("parquet")
	require.ErrorContains(t, err, "unknown input format")
}

// TestReadFixtures reads the real inputs the command tests score.
func TestReadFixtures(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "models")
	cases := []struct {
		file       string
		opts       Options
		rows, cols int
	}{
		{"xgboost_bike_cnt_regression/input.csv", Options{Format: FormatCSV, NumFeatures: 12, LabelColumn: -1}, 2000, 12},
		{"xgboost_bike_binary_missing/input.csv", Options{Format: FormatCSV, NumFeatures: 12, LabelColumn: -1}, 300, 12},
		{"lightgbm_breast_cancer_dart/breast_cancer_test.tsv", Options{Format: FormatTSV, NumFeatures: 30, LabelColumn: -1}, 57, 30},
		{"lightgbm_multiclass/multiclass_test_head200.tsv", Options{Format: FormatTSV, NumFeatures: 28, LabelColumn: 0}, 200, 28},
		{"xgboost_agaricus/agaricus_test_head400.libsvm", Options{Format: FormatLibSVM, NumFeatures: 127, Absent: math.NaN()}, 400, 127},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, tc.file))
			require.NoError(t, err)
			defer f.Close()
			b, err := Read(f, tc.opts)
			require.NoError(t, err)
			require.Equal(t, tc.rows, b.Rows)
			require.Equal(t, tc.cols, b.Cols)
		})
	}
}
