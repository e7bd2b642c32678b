package baseline

import (
	"bytes"
	"encoding/binary"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/drift"
)

var updateParquet = flag.Bool("update-parquet", false, "rewrite testdata/*.parquet from the training CSVs in sim/profiles")

// parquetFixtures are the demo's real training sets and their Parquet
// copies; `go test ./predlog/baseline -run TestParquetFixtures
// -update-parquet` rewrites the copies with csvToParquet.
var parquetFixtures = []struct {
	name, csv, parquet string
	categorical        []string
}{
	{"bike", "../../sim/profiles/bike_hour.csv", "testdata/bike_hour.parquet", nil},
	{"bike with categorical ints", "../../sim/profiles/bike_hour.csv", "testdata/bike_hour.parquet", []string{"season", "weathersit", "hr"}},
	{"adult", "../../sim/profiles/adult.csv", "testdata/adult.parquet", nil},
	{"adult with categorical ints", "../../sim/profiles/adult.csv", "testdata/adult.parquet", []string{"education_num"}},
}

func TestParquetFixtures(t *testing.T) {
	if !*updateParquet {
		t.Skip("pass -update-parquet to rewrite the fixtures")
	}
	for _, fx := range parquetFixtures {
		data, err := os.ReadFile(fx.csv)
		require.NoError(t, err)
		var buf bytes.Buffer
		require.NoError(t, csvToParquet(data, &buf, 500, 16<<10))
		require.NoError(t, os.WriteFile(fx.parquet, buf.Bytes(), 0o644))
	}
}

// profileJSON profiles frame as the CLI does and returns the stored JSON.
func profileJSON(t *testing.T, frame *drift.Frame, categorical []string) string {
	t.Helper()
	p, err := FromFrame("m", "v1", frame, categorical, time.Unix(1700000000, 0))
	require.NoError(t, err)
	b, err := p.Marshal()
	require.NoError(t, err)
	return string(b)
}

// parquetProfileJSON profiles a Parquet table as the CLI does and returns
// the stored JSON.
func parquetProfileJSON(t *testing.T, data []byte, categorical []string) string {
	t.Helper()
	p, err := ProfileParquet("m", "v1", bytes.NewReader(data), int64(len(data)), categorical, time.Unix(1700000000, 0))
	require.NoError(t, err)
	b, err := p.Marshal()
	require.NoError(t, err)
	return string(b)
}

func TestParquetProfileMatchesCSV(t *testing.T) {
	budgets := []struct {
		name    string
		keys    int64
		buckets int
	}{
		{"as shipped", selectCollectKeys, selectBuckets},
		// A training set of millions of rows takes several passes over
		// the column chunks; small budgets make these ones do the same.
		{"multi-pass", 2000, 1 << 12},
	}
	for _, fx := range parquetFixtures {
		for _, bd := range budgets {
			t.Run(fx.name+"/"+bd.name, func(t *testing.T) {
				smallSelectBudgets(t, bd.keys, bd.buckets)
				fromCSV, err := drift.ReadCSVFile(fx.csv)
				require.NoError(t, err)
				data, err := os.ReadFile(fx.parquet)
				require.NoError(t, err)
				want := profileJSON(t, fromCSV, fx.categorical)
				got := parquetProfileJSON(t, data, fx.categorical)
				require.Equal(t, want, got, "profile JSON of %s differs from %s's", fx.parquet, fx.csv)
			})
		}
	}
}

// TestParquetFixtureLayout checks the fixtures exercise what training
// files use: several row groups, dictionary-encoded nullable strings.
func TestParquetFixtureLayout(t *testing.T) {
	for _, path := range []string{"testdata/bike_hour.parquet", "testdata/adult.parquet"} {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
		require.NoError(t, err)
		assert.Greater(t, len(pf.RowGroups()), 4, path)
		for _, cc := range pf.Metadata().RowGroups[0].Columns {
			col := pf.Root().Column(cc.MetaData.PathInSchema[0])
			if col.Type().Kind() == parquet.ByteArray {
				assert.True(t, col.Optional(), "%s: %s nullable", path, col.Name())
				assert.Contains(t, cc.MetaData.Encoding, format.RLEDictionary, "%s: %s dictionary-encoded", path, col.Name())
			}
		}
	}
}

// TestParquetNullsAndTypes covers what the real training sets lack: null
// cells in every kind of column, read as the CSV reads empty and NA cells.
func TestParquetNullsAndTypes(t *testing.T) {
	const table = "id,score,city,flag,ok,note\n" +
		"1,0.5,Berlin,true,True,x\n" +
		"2,,Paris,false,,NA\n" +
		",1.5,,true,False,y\n" +
		"4,2.5,NA,false,True,\n" +
		"5,3.5,Berlin,true,False,x\n" +
		"6,NaN,Lyon,true,True,z\n" +
		"7,4.5,Paris,false,True,x\n"
	var buf bytes.Buffer
	require.NoError(t, csvToParquet([]byte(table), &buf, 3, 64))
	fromCSV, err := drift.ParseCSV([]byte(table))
	require.NoError(t, err)
	for _, cats := range [][]string{nil, {"id"}, {"flag", "ok"}} {
		assert.Equal(t, profileJSON(t, fromCSV, cats), parquetProfileJSON(t, buf.Bytes(), cats), "categorical %v", cats)
	}

	p, err := ProfileParquet("m", "v1", bytes.NewReader(buf.Bytes()), int64(buf.Len()), nil, time.Unix(0, 0))
	require.NoError(t, err)
	tests := []struct {
		col     string
		typ     string
		missing int
	}{
		{"id", Numerical, 1},
		{"score", Numerical, 2},
		{"city", Categorical, 2},
		{"flag", Numerical, 0},
		{"ok", Categorical, 1}, // True/False with a null is text, as in pandas
		{"note", Categorical, 2},
	}
	for _, tt := range tests {
		f := p.Feature(tt.col)
		require.NotNil(t, f, tt.col)
		assert.Equal(t, tt.typ, f.Type, tt.col)
		assert.Equal(t, tt.missing, f.Missing, tt.col)
		assert.Equal(t, 7, f.Count+f.Missing, tt.col)
	}
	assert.Equal(t, 7, p.Rows)
}

// TestParquetNaNIsMissing: a NaN stored in a Parquet double column (pandas
// writes one for a missing float unless told otherwise) is a missing cell,
// as the CSV reader reads a NaN cell; before, it was profiled as a number
// and its mean was NaN.
func TestParquetNaNIsMissing(t *testing.T) {
	type row struct {
		X float64 `parquet:"x"`
		Y float32 `parquet:"y"`
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf)
	_, err := w.Write([]row{{1, 1}, {math.NaN(), float32(math.NaN())}, {3, 2}})
	require.NoError(t, err)
	require.NoError(t, w.Close())
	fromCSV, err := drift.ParseCSV([]byte("x,y\n1,1\nNaN,nan\n3,2\n"))
	require.NoError(t, err)
	assert.Equal(t, profileJSON(t, fromCSV, nil), parquetProfileJSON(t, buf.Bytes(), nil))
	p, err := ProfileParquet("m", "v1", bytes.NewReader(buf.Bytes()), int64(buf.Len()), nil, time.Unix(0, 0))
	require.NoError(t, err)
	assert.Equal(t, 1, p.Feature("x").Missing)
	assert.Equal(t, 2.0, p.Feature("x").Mean)
}

func TestProfileParquetRefusesAnUnknownCategoricalColumn(t *testing.T) {
	_, err := ProfileParquetFile("m", "v1", "testdata/bike_hour.parquet", []string{"season", "seasn"}, time.Unix(0, 0))
	var unknown *UnknownColumnError
	require.ErrorAs(t, err, &unknown)
	assert.Equal(t, "seasn", unknown.Column)
	_, err = ProfileParquetFile("", "v1", "testdata/bike_hour.parquet", nil, time.Unix(0, 0))
	assert.ErrorContains(t, err, "model and version are required")
}

func TestIsParquet(t *testing.T) {
	b, err := os.ReadFile("testdata/adult.parquet")
	require.NoError(t, err)
	assert.True(t, IsParquet(b))
	assert.False(t, IsParquet([]byte("age,workclass\n")))
	assert.False(t, IsParquet(nil))
}

func TestProfileParquetRefusesHostileFiles(t *testing.T) {
	good, err := os.ReadFile("testdata/bike_hour.parquet")
	require.NoError(t, err)
	hugeFooter := bytes.Clone(good)
	binary.LittleEndian.PutUint32(hugeFooter[len(hugeFooter)-8:], 0xfffffff0)
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	randomInside := append(append([]byte("PAR1"), random...), []byte("PAR1")...)
	binary.LittleEndian.PutUint32(randomInside[len(randomInside)-8:], 2000)
	// A page region overwritten with noise: the footer is intact, the
	// pages are not.
	noisyPages := bytes.Clone(good)
	copy(noisyPages[4:], random[:min(len(random), len(noisyPages)/2)])

	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"magic only", []byte("PAR1PAR1"), "too short"},
		{"csv", []byte("age,workclass,education_num\n39,State-gov,13\n"), "magic"},
		{"random bytes", random, "magic"},
		{"truncated to half", good[:len(good)/2], "parquet"},
		{"truncated footer", good[:len(good)-3], "parquet"},
		{"footer claims 4 GB", hugeFooter, "does not fit"},
		{"random footer", randomInside, "parquet"},
		{"noisy pages", noisyPages, "parquet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ProfileParquet("m", "v1", bytes.NewReader(tt.data), int64(len(tt.data)), nil, time.Unix(0, 0))
			require.Error(t, err)
			t.Log(err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestProfileParquetFileNamesThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "train.parquet")
	require.NoError(t, os.WriteFile(path, []byte("PAR1 not really"), 0o644))
	_, err := ProfileParquetFile("m", "v1", path, nil, time.Unix(0, 0))
	var ie *drift.InputError
	require.ErrorAs(t, err, &ie)
	assert.True(t, strings.HasPrefix(err.Error(), "parse "+path), err.Error())
}

// FuzzProfileParquet: any bytes give a profile or an error, never a panic or an
// allocation the input cannot justify.
func FuzzProfileParquet(f *testing.F) {
	for _, path := range []string{"testdata/bike_hour.parquet", "testdata/adult.parquet"} {
		b, err := os.ReadFile(path)
		require.NoError(f, err)
		f.Add(b)
	}
	var buf bytes.Buffer
	require.NoError(f, csvToParquet([]byte("a,b,c\n1,,x\n,2.5,\n3,1,y\n"), &buf, 2, 64))
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ProfileParquet("m", "v1", bytes.NewReader(data), int64(len(data)), nil, time.Unix(0, 0))
		if err != nil {
			return
		}
		for _, f := range p.Features {
			if f.Count+f.Missing != p.Rows {
				t.Fatalf("column %q: %d values and %d missing for %d rows", f.Name, f.Count, f.Missing, p.Rows)
			}
		}
	})
}

// TestCheckPageHeaders: a page header claiming more than its chunk holds,
// or a decompressed size past MaxParquetPageBytes, is refused before the
// decoder would allocate it.
func TestCheckPageHeaders(t *testing.T) {
	tests := []struct {
		name                     string
		compressed, uncompressed int32
		want                     string
	}{
		{"fits", 10, 10, ""},
		{"compressed past the chunk", 1 << 30, 10, "claims 1073741824 bytes, its chunk has 10 left"},
		{"decompression bomb", 10, 1<<31 - 1, "over the 268435456-byte limit"},
		{"negative", -5, 10, "claims -5 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var proto thrift.CompactProtocol
			header, err := thrift.Marshal(&proto, &format.PageHeader{
				Type: format.DataPage, CompressedPageSize: tt.compressed, UncompressedPageSize: tt.uncompressed,
			})
			require.NoError(t, err)
			file := append(append([]byte(ParquetMagic), header...), make([]byte, 10)...)
			md := &format.FileMetaData{RowGroups: []format.RowGroup{{Columns: []format.ColumnChunk{{MetaData: format.ColumnMetaData{
				PathInSchema: []string{"x"}, DataPageOffset: 4, TotalCompressedSize: int64(len(header) + 10),
			}}}}}}
			err = checkPageHeaders(bytes.NewReader(file), md)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), `column "x"`)
		})
	}
}
