package drift

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDriftParseCSVTypesLikePandas(t *testing.T) {
	type col struct {
		name    string
		dtype   DType
		missing int
		values  []float64
		labels  []string
		codes   []uint32
	}
	for _, c := range []struct {
		name string
		in   string
		rows int
		cols []col
	}{
		{"ints", "a\n1\n-2\n+3\n", 3, []col{{"a", DTypeInt, 0, []float64{1, -2, 3}, nil, nil}}},
		{"blank lines skipped", "a\n1\n\n2\n\n", 2, []col{{"a", DTypeInt, 0, []float64{1, 2}, nil, nil}}},
		{"missing makes float", "a,b\n1,x\nNA,\n", 2, []col{
			{"a", DTypeFloat, 1, []float64{1}, nil, nil},
			{"b", DTypeObject, 1, nil, []string{"x"}, []uint32{0}}}},
		{"floats", "a\n1.5\n2\n1e-3\n.5\n", 4, []col{{"a", DTypeFloat, 0, []float64{1.5, 2, 0.001, 0.5}, nil, nil}}},
		{"text keeps spelling", "a\n1.50\nx\n1.50\n", 3, []col{{"a", DTypeObject, 0, nil, []string{"1.50", "x"}, []uint32{0, 1, 0}}}},
		{"bools", "a\nTrue\nfalse\nTRUE\n", 3, []col{{"a", DTypeBool, 0, []float64{1, 0, 1}, nil, nil}}},
		{"bool with missing is text", "a\nTrue\nNA\nFalse\n", 3, []col{{"a", DTypeObject, 1, nil, []string{"True", "False"}, []uint32{0, 1}}}},
		{"quoted", "a,b\n\"x,\"\"y\"\"\",2\n\"\",3\n", 2, []col{
			{"a", DTypeObject, 1, nil, []string{`x,"y"`}, []uint32{0}},
			{"b", DTypeInt, 0, []float64{2, 3}, nil, nil}}},
		{"quoted newline", "a,b\n\"l1\nl2\",1\n", 1, []col{
			{"a", DTypeObject, 0, nil, []string{"l1\nl2"}, []uint32{0}},
			{"b", DTypeInt, 0, []float64{1}, nil, nil}}},
		{"short rows padded", "a,b\n1\n2,3\n", 2, []col{
			{"a", DTypeInt, 0, []float64{1, 2}, nil, nil},
			{"b", DTypeFloat, 1, []float64{3}, nil, nil}}},
		{"crlf and bom", "\xef\xbb\xbfa,b\r\n1,2\r\n3,4\r\n", 2, []col{
			{"a", DTypeInt, 0, []float64{1, 3}, nil, nil},
			{"b", DTypeInt, 0, []float64{2, 4}, nil, nil}}},
		{"duplicate and empty names", "a,a,\n1,2,3\n", 1, []col{
			{"a", DTypeInt, 0, []float64{1}, nil, nil},
			{"a.1", DTypeInt, 0, []float64{2}, nil, nil},
			{"Unnamed: 2", DTypeInt, 0, []float64{3}, nil, nil}}},
		{"na spellings", "a\nnan\nNULL\n#N/A\nn/a\n7\n", 5, []col{{"a", DTypeFloat, 4, []float64{7}, nil, nil}}},
		{"blanks around numbers", "a\n 1 \n2\n", 2, []col{{"a", DTypeInt, 0, []float64{1, 2}, nil, nil}}},
		{"long mantissa", "a\n0.1234567890123456789\n12345678901234567890\n", 2, []col{
			{"a", DTypeFloat, 0, []float64{0.1234567890123456789, 12345678901234567890}, nil, nil}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := ParseCSV([]byte(c.in))
			require.NoError(t, err)
			assert.Equal(t, c.rows, f.Rows)
			require.Len(t, f.Columns, len(c.cols))
			for i, want := range c.cols {
				got := f.Columns[i]
				assert.Equal(t, want.name, got.Name)
				assert.Equal(t, want.dtype, got.DType, want.name)
				assert.Equal(t, want.missing, got.Missing, want.name)
				assert.Equal(t, want.values, got.Values, want.name)
				assert.Equal(t, want.labels, got.Labels, want.name)
				assert.Equal(t, want.codes, got.Codes, want.name)
			}
		})
	}
}

func TestDriftParseCSVErrors(t *testing.T) {
	for _, c := range []struct{ in, err string }{
		{"", "no header row"},
		{"\n\n", "no header row"},
		{"a,b\n1,2,3\n", "line 2: expected 2 fields, saw 3"},
		{"a\n\"open\n", "line 2: unterminated quoted field"},
	} {
		_, err := ParseCSV([]byte(c.in))
		assert.ErrorContains(t, err, c.err, "%q", c.in)
	}
}

// FuzzParseCSV checks that any input either fails cleanly or yields a frame
// whose every column accounts for every row (a value or a missing cell).
func FuzzParseCSV(f *testing.F) {
	for _, p := range []string{
		filepath.Join("..", "testdata", "drift", "bike_jan_vs_feb_2011", "reference.csv"),
		filepath.Join("..", "testdata", "drift", "synth_mixed", "current.csv"),
	} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b[:min(len(b), 2000)])
		}
	}
	f.Add([]byte("a,b\n\"x,\"\"y\"\"\",2\r\n\"\",3\n1\n"))
	f.Add([]byte("\xef\xbb\xbfa,a,\nTrue,1e5,-inf\nfalse,NA,\n"))
	f.Add([]byte("a\n\"open"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := ParseCSV(data)
		slow, slowErr := parseCSV(data, false)
		if (err == nil) != (slowErr == nil) {
			t.Fatalf("fast path error %v, general path error %v", err, slowErr)
		}
		if err != nil {
			if err.Error() != slowErr.Error() {
				t.Fatalf("fast path error %q, general path error %q", err, slowErr)
			}
			return
		}
		if !reflect.DeepEqual(fr, slow) {
			t.Fatalf("fast and general paths disagree:\n%+v\n%+v", fr, slow)
		}
		names := map[string]bool{}
		for _, c := range fr.Columns {
			if names[c.Name] {
				t.Fatalf("duplicate column name %q", c.Name)
			}
			names[c.Name] = true
			if c.Len()+c.Missing != fr.Rows {
				t.Fatalf("column %q: %d values + %d missing != %d rows", c.Name, c.Len(), c.Missing, fr.Rows)
			}
			for _, code := range c.Codes {
				if int(code) >= len(c.Labels) {
					t.Fatalf("column %q: code %d out of %d labels", c.Name, code, len(c.Labels))
				}
			}
			if c.DType == DTypeObject && len(c.Values) != 0 {
				t.Fatalf("object column %q kept numbers", c.Name)
			}
		}
	})
}
