package baseline

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/mlectl/mlectl/drift"
)

// csvToParquet writes the CSV table data as Parquet the way a training
// pipeline would (pandas.DataFrame.to_parquet; Debian ships no pyarrow, so
// the fixtures are written by parquet-go): every column keeps its CSV order
// and the type pandas would give it (int → INT64, float → DOUBLE, bool →
// BOOLEAN, text → a dictionary-encoded STRING); every column but a
// complete int or bool one is nullable, an NA cell of the CSV a null; rows
// are cut into row groups of rowsPerGroup rows and pages of about pageBytes,
// snappy-compressed as pandas writes them.
func csvToParquet(data []byte, w io.Writer, rowsPerGroup int64, pageBytes int) error {
	frame, err := drift.ParseCSV(data)
	if err != nil {
		return err
	}
	type colSpec struct {
		dtype    drift.DType
		optional bool
	}
	specs := make([]colSpec, len(frame.Columns))
	fields := make([]reflect.StructField, len(frame.Columns))
	for i, c := range frame.Columns {
		if strings.ContainsAny(c.Name, ",\"`") {
			return fmt.Errorf("column %q: a struct tag cannot carry this name", c.Name)
		}
		spec := colSpec{dtype: c.DType, optional: true}
		var typ reflect.Type
		tag := c.Name
		switch c.DType {
		case drift.DTypeInt:
			typ, spec.optional = reflect.TypeFor[int64](), false
		case drift.DTypeBool:
			typ, spec.optional = reflect.TypeFor[bool](), false
		case drift.DTypeFloat:
			typ, tag = reflect.TypeFor[*float64](), tag+",optional"
		default:
			typ, tag = reflect.TypeFor[*string](), tag+",optional,dict"
		}
		specs[i] = spec
		fields[i] = reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: typ, Tag: reflect.StructTag(`parquet:"` + tag + `"`)}
	}
	schema := parquet.SchemaOf(reflect.New(reflect.StructOf(fields)).Interface())
	pw := parquet.NewWriter(w, schema, parquet.MaxRowsPerRowGroup(rowsPerGroup), parquet.PageBufferSize(pageBytes),
		parquet.Compression(&parquet.Snappy))

	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	r.FieldsPerRecord = -1
	if _, err := r.Read(); err != nil { // header
		return err
	}
	row := make(parquet.Row, len(specs))
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		for i, spec := range specs {
			cell := ""
			if i < len(rec) {
				cell = rec[i]
			}
			var v parquet.Value
			switch {
			case spec.dtype != drift.DTypeObject && (cell == "" || naCell[cell]):
				v = parquet.NullValue()
			case spec.dtype == drift.DTypeObject && (cell == "" || naCell[cell]):
				v = parquet.NullValue()
			case spec.dtype == drift.DTypeInt:
				n, err := strconv.ParseInt(strings.TrimSpace(cell), 10, 64)
				if err != nil {
					return fmt.Errorf("column %d: %w", i, err)
				}
				v = parquet.Int64Value(n)
			case spec.dtype == drift.DTypeBool:
				v = parquet.BooleanValue(strings.EqualFold(cell, "true"))
			case spec.dtype == drift.DTypeFloat:
				f, err := strconv.ParseFloat(strings.TrimSpace(cell), 64)
				if err != nil {
					return fmt.Errorf("column %d: %w", i, err)
				}
				v = parquet.DoubleValue(f)
			default:
				v = parquet.ByteArrayValue([]byte(cell))
			}
			def := 0
			if spec.optional && !v.IsNull() {
				def = 1
			}
			row[i] = v.Level(0, def, i)
		}
		if _, err := pw.WriteRows([]parquet.Row{row}); err != nil {
			return err
		}
	}
	return pw.Close()
}

// naCell is pandas' default na_values, the cells drift.ParseCSV reads as
// missing.
var naCell = map[string]bool{
	"#N/A": true, "#N/A N/A": true, "#NA": true, "-1.#IND": true, "-1.#QNAN": true, "-NaN": true, "-nan": true,
	"1.#IND": true, "1.#QNAN": true, "<NA>": true, "N/A": true, "NA": true, "NULL": true, "NaN": true, "n/a": true, "nan": true, "null": true,
}
