package baseline

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/mlectl/mlectl/drift"
)

// ParquetMagic starts and ends every Parquet file.
const ParquetMagic = "PAR1"

// IsParquet reports whether head (the first bytes of a file or body) is
// the start of a Parquet file.
func IsParquet(head []byte) bool { return bytes.HasPrefix(head, []byte(ParquetMagic)) }

// ReadParquetFile reads a Parquet training set into the frame the CSV path
// builds; see ReadParquet. Malformed content is a *drift.InputError.
func ReadParquetFile(path string) (*drift.Frame, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	f, err := ReadParquet(fh, st.Size())
	if err != nil {
		return nil, &drift.InputError{Msg: fmt.Sprintf("parse %s: %v", path, err)}
	}
	return f, nil
}

// ReadParquet reads a flat Parquet table of size bytes from r into a
// drift.Frame typed as drift.ParseCSV types the same table written as CSV,
// so FromFrame gives the same profile for both:
//   - BOOLEAN, INT32, INT64 (DECIMAL scaled), FLOAT and DOUBLE columns are
//     numerical; an integer column with nulls is float, as in pandas, and a
//     boolean column with nulls is text ("True"/"False"), as pandas reads
//     such a CSV column;
//   - BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY columns (strings, dictionary
//     encoded or not) are categorical, every value kept as written (a
//     Parquet string "NA" is a category; only null is missing);
//   - a null is a missing cell, as an empty CSV cell is.
//
// It streams: one column chunk's pages at a time, row group by row group,
// through r's ReadAt; the file is never held in memory, only the frame's
// values (8 bytes per numerical cell, 4 per categorical one) and one page.
// Sizes the footer claims are checked against size before anything is
// allocated from them, and a file the decoder cannot read is an error
// naming the column and row group, never a panic.
func ReadParquet(r io.ReaderAt, size int64) (frame *drift.Frame, err error) {
	defer func() {
		// parquet-go's decoders trust some lengths inside pages; a damaged
		// page must be an error for the operator, not a crashed collector.
		if p := recover(); p != nil {
			frame, err = nil, fmt.Errorf("parquet: malformed file: %v", p)
		}
	}()
	if size < 12 {
		return nil, fmt.Errorf("parquet: file of %d bytes is too short (a Parquet file has at least 12)", size)
	}
	pf, err := parquet.OpenFile(r, size,
		parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true), parquet.ReadBufferSize(64<<10))
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	if err := checkParquetLayout(pf, size); err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	if err := checkPageHeaders(r, pf.Metadata()); err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	leaves := pf.Root().Columns()
	cols := make([]*parquetColumn, len(leaves))
	for i, c := range leaves {
		pc, err := newParquetColumn(c)
		if err != nil {
			return nil, fmt.Errorf("parquet: %w", err)
		}
		cols[i] = pc
	}
	rows := pf.NumRows()
	// Preallocate for the rows the footer claims, so the columns never
	// grow by copying, but never more than four times the file's size in
	// all: a damaged footer's row count must not become an allocation (a
	// real file past this bound, say a column of one repeated value that
	// run-length encoding packs into a few bytes, grows by append).
	prealloc := int(min(rows, 4*size/(8*int64(max(len(cols), 1)))))
	for _, c := range cols {
		if c.object {
			c.col.Codes = make([]uint32, 0, prealloc)
		} else {
			c.col.Values = make([]float64, 0, prealloc)
		}
	}
	buf := make([]parquet.Value, 4096)
	for g, rg := range pf.RowGroups() {
		chunks := rg.ColumnChunks()
		if len(chunks) != len(cols) {
			return nil, fmt.Errorf("parquet: row group %d has %d columns, the schema %d", g, len(chunks), len(cols))
		}
		for i, chunk := range chunks {
			n, err := cols[i].readChunk(chunk, rg.NumRows(), buf)
			if err != nil {
				return nil, fmt.Errorf("parquet: column %q, row group %d: %w", cols[i].col.Name, g, err)
			}
			if n != rg.NumRows() {
				return nil, fmt.Errorf("parquet: column %q, row group %d: %d values for %d rows", cols[i].col.Name, g, n, rg.NumRows())
			}
		}
	}
	frame = &drift.Frame{Rows: int(rows), Columns: make([]*drift.Column, len(cols))}
	for i, c := range cols {
		frame.Columns[i] = c.finish()
	}
	return frame, nil
}

// checkParquetLayout refuses a footer whose row counts or column chunk
// ranges cannot be true of a file of size bytes, before pages are read.
func checkParquetLayout(pf *parquet.File, size int64) error {
	md := pf.Metadata()
	if md.NumRows < 0 {
		return fmt.Errorf("footer claims %d rows", md.NumRows)
	}
	for _, c := range pf.Root().Columns() {
		if !c.Leaf() || c.Repeated() {
			return fmt.Errorf("column %q is nested or repeated; a training set is a flat table of scalar columns", c.Name())
		}
	}
	var sum int64
	for g, rg := range md.RowGroups {
		if rg.NumRows < 0 || rg.NumRows > md.NumRows-sum {
			return fmt.Errorf("row group %d claims %d rows, more than the file's %d", g, rg.NumRows, md.NumRows)
		}
		sum += rg.NumRows
		for _, cc := range rg.Columns {
			m := cc.MetaData
			start := m.DataPageOffset
			if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
				start = m.DictionaryPageOffset
			}
			if start < 4 || m.TotalCompressedSize < 0 || m.TotalCompressedSize > size-8-start {
				return fmt.Errorf("row group %d, column %q: chunk at offset %d of %d bytes lies outside the %d-byte file",
					g, strings.Join(m.PathInSchema, "."), start, m.TotalCompressedSize, size)
			}
			if m.NumValues < 0 || m.NumValues > rg.NumRows {
				return fmt.Errorf("row group %d, column %q: %d values for %d rows", g, strings.Join(m.PathInSchema, "."), m.NumValues, rg.NumRows)
			}
		}
	}
	if sum != md.NumRows {
		return fmt.Errorf("row groups hold %d rows, the footer claims %d", sum, md.NumRows)
	}
	return nil
}

// MaxParquetPageBytes bounds one page's decompressed size. Writers cut
// pages at about 1 MiB (pyarrow, parquet-go: 256 KiB); a larger claim is
// a damaged or hostile file, refused before the decoder allocates it.
const MaxParquetPageBytes = 256 << 20

// checkPageHeaders walks every column chunk's page headers before the
// decoder reads them: parquet-go allocates a page's compressed and
// decompressed sizes as its header claims them, so each page must fit in
// what is left of its chunk and decompress to at most MaxParquetPageBytes.
func checkPageHeaders(r io.ReaderAt, md *format.FileMetaData) error {
	var proto thrift.CompactProtocol
	br := bufio.NewReaderSize(nil, 4096)
	for g, rg := range md.RowGroups {
		for _, cc := range rg.Columns {
			m := cc.MetaData
			name := strings.Join(m.PathInSchema, ".")
			pos := m.DataPageOffset
			if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < pos {
				pos = m.DictionaryPageOffset
			}
			end := pos + m.TotalCompressedSize
			for pos < end {
				sec := &countingReader{r: io.NewSectionReader(r, pos, end-pos)}
				br.Reset(sec)
				var h format.PageHeader
				if err := thrift.NewDecoder(proto.NewReader(br)).Decode(&h); err != nil {
					return fmt.Errorf("row group %d, column %q: page header at offset %d: %w", g, name, pos, err)
				}
				headerLen := sec.n - int64(br.Buffered())
				left := end - pos - headerLen
				switch {
				case h.CompressedPageSize < 0 || int64(h.CompressedPageSize) > left:
					return fmt.Errorf("row group %d, column %q: page at offset %d claims %d bytes, its chunk has %d left", g, name, pos, h.CompressedPageSize, left)
				case h.UncompressedPageSize < 0 || h.UncompressedPageSize > MaxParquetPageBytes:
					return fmt.Errorf("row group %d, column %q: page at offset %d claims %d bytes decompressed, over the %d-byte limit", g, name, pos, h.UncompressedPageSize, MaxParquetPageBytes)
				}
				pos += headerLen + int64(h.CompressedPageSize)
			}
		}
	}
	return nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// parquetColumn accumulates one leaf column into a drift.Column.
type parquetColumn struct {
	col    *drift.Column
	kind   parquet.Kind
	object bool // strings, or booleans turned to text by a null
	scale  float64
	labels map[string]uint32
	nulls  bool
}

func newParquetColumn(c *parquet.Column) (*parquetColumn, error) {
	pc := &parquetColumn{col: &drift.Column{Name: c.Name()}, kind: c.Type().Kind(), scale: 1}
	switch pc.kind {
	case parquet.Boolean, parquet.Float, parquet.Double:
	case parquet.Int32, parquet.Int64:
		if lt := c.Type().LogicalType(); lt != nil {
			if d, ok := lt.Value.(*format.DecimalType); ok {
				if d.Scale < 0 || d.Scale > 38 {
					return nil, fmt.Errorf("column %q: decimal scale %d", c.Name(), d.Scale)
				}
				pc.scale = math.Pow10(int(d.Scale))
			}
		}
	case parquet.ByteArray, parquet.FixedLenByteArray:
		pc.object = true
		pc.labels = map[string]uint32{}
	default:
		return nil, fmt.Errorf("column %q has physical type %s, which a training profile cannot use (want boolean, int32, int64, float, double or a string)", c.Name(), pc.kind)
	}
	return pc, nil
}

// readChunk appends a column chunk's values page by page and returns how
// many values (nulls included) it held. A page claiming more values than
// the row group has rows left is refused before it is decoded: a few bytes
// of run-length levels can claim billions of nulls.
func (pc *parquetColumn) readChunk(chunk parquet.ColumnChunk, rows int64, buf []parquet.Value) (int64, error) {
	pages := chunk.Pages()
	defer pages.Close()
	var n int64
	for {
		page, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if k := page.NumValues(); k < 0 || k > rows-n {
			parquet.Release(page)
			return n, fmt.Errorf("a page claims %d values, more than the %d rows left in the row group", k, rows-n)
		}
		values := page.Values()
		for {
			k, err := values.ReadValues(buf)
			if n += int64(k); n > rows {
				parquet.Release(page)
				return n, fmt.Errorf("pages hold more values than the row group's %d rows", rows)
			}
			pc.add(buf[:k])
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquet.Release(page)
				return n, err
			}
		}
		parquet.Release(page)
	}
}

func (pc *parquetColumn) add(vals []parquet.Value) {
	c := pc.col
	// One loop per kind: the kind switch stays out of the per-value path.
	switch pc.kind {
	case parquet.Boolean:
		for _, v := range vals {
			switch {
			case v.IsNull():
				c.Missing++
			case v.Boolean():
				c.Values = append(c.Values, 1)
			default:
				c.Values = append(c.Values, 0)
			}
		}
	case parquet.Int32:
		for _, v := range vals {
			if v.IsNull() {
				c.Missing++
			} else {
				c.Values = append(c.Values, float64(v.Int32())/pc.scale)
			}
		}
	case parquet.Int64:
		for _, v := range vals {
			if v.IsNull() {
				c.Missing++
			} else {
				c.Values = append(c.Values, float64(v.Int64())/pc.scale)
			}
		}
	case parquet.Float:
		for _, v := range vals {
			if v.IsNull() {
				c.Missing++
			} else {
				c.Values = append(c.Values, float64(v.Float()))
			}
		}
	case parquet.Double:
		for _, v := range vals {
			if v.IsNull() {
				c.Missing++
			} else {
				c.Values = append(c.Values, v.Double())
			}
		}
	default:
		for _, v := range vals {
			if v.IsNull() {
				c.Missing++
				continue
			}
			b := v.ByteArray()
			code, ok := pc.labels[string(b)]
			if !ok {
				code = uint32(len(c.Labels))
				label := string(b)
				c.Labels = append(c.Labels, label)
				pc.labels[label] = code
			}
			c.Codes = append(c.Codes, code)
		}
	}
	pc.nulls = c.Missing > 0
}

// finish types the column as drift.ParseCSV types the same cells.
func (pc *parquetColumn) finish() *drift.Column {
	c := pc.col
	switch {
	case pc.object:
		c.DType = drift.DTypeObject
	case pc.kind == parquet.Boolean && pc.nulls:
		// pandas reads True/False with missing cells as text.
		c.DType = drift.DTypeObject
		index := map[float64]uint32{}
		c.Codes = make([]uint32, 0, len(c.Values))
		for _, b := range c.Values {
			code, ok := index[b]
			if !ok {
				code = uint32(len(c.Labels))
				index[b] = code
				c.Labels = append(c.Labels, map[float64]string{1: "True", 0: "False"}[b])
			}
			c.Codes = append(c.Codes, code)
		}
		c.Values = nil
	case pc.kind == parquet.Boolean:
		c.DType = drift.DTypeBool
	case (pc.kind == parquet.Int32 || pc.kind == parquet.Int64) && pc.scale == 1 && !pc.nulls && len(c.Values) > 0:
		c.DType = drift.DTypeInt
	default:
		c.DType = drift.DTypeFloat
	}
	pc.labels = nil
	return c
}
