package baseline

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

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

// UnknownColumnError is a column named in categorical that the training
// set does not have (a typo, refused rather than ignored).
type UnknownColumnError struct{ Column string }

func (e *UnknownColumnError) Error() string {
	return fmt.Sprintf("the training set has no column %q", e.Column)
}

// ProfileParquetFile profiles the Parquet training set at path; see
// ProfileParquet. Malformed content is a *drift.InputError naming the path.
func ProfileParquetFile(model, version, path string, categorical []string, now time.Time) (*Profile, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	p, err := ProfileParquet(model, version, fh, st.Size(), categorical, now)
	var unknown *UnknownColumnError
	if err != nil && !errors.As(err, &unknown) {
		return nil, &drift.InputError{Msg: fmt.Sprintf("parse %s: %v", path, err)}
	}
	return p, err
}

// ProfileParquet profiles a flat Parquet table of size bytes read from r,
// giving the profile FromFrame gives for the same table read by
// drift.ParseCSV, byte for byte once marshalled:
//   - BOOLEAN, INT32, INT64 (DECIMAL scaled), FLOAT and DOUBLE columns are
//     numerical, except a boolean column with nulls, which is text
//     ("True"/"False") as pandas reads such a CSV column;
//   - BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY columns (strings, dictionary
//     encoded or not) are categorical, every value kept as written (a
//     Parquet string "NA" is a category; only null is missing);
//   - a null, or a floating-point NaN, is a missing cell, as an empty or
//     NaN CSV cell is;
//   - a column named in categorical is categorical even when numeric;
//     naming a column the file lacks is an *UnknownColumnError.
//
// Its memory does not depend on the number of rows: one sequential pass
// over the row groups counts every column (categories with their counts,
// numbers with an exact sum), then each numerical column's chunks are
// re-read, one column at a time, to find its order statistics exactly
// (orderStatistics: a few passes of bounded buckets; Parquet's column
// layout makes a pass over one column read only that column's bytes). At
// most one page per column is decoded at a time. Sizes the footer claims
// are checked against size before anything is allocated from them, and a
// file the decoder cannot read is an error naming the column and row
// group, never a panic.
func ProfileParquet(model, version string, r io.ReaderAt, size int64, categorical []string, now time.Time) (p *Profile, err error) {
	defer func() {
		// parquet-go's decoders trust some lengths inside pages; a damaged
		// page must be an error for the operator, not a crashed collector.
		if x := recover(); x != nil {
			p, err = nil, fmt.Errorf("parquet: malformed file: %v", x)
		}
	}()
	if model == "" || version == "" {
		return nil, errors.New("baseline: model and version are required")
	}
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
		pc, err := newParquetColumn(c, slices.Contains(categorical, c.Name()))
		if err != nil {
			return nil, fmt.Errorf("parquet: %w", err)
		}
		cols[i] = pc
	}
	for _, name := range categorical {
		if !slices.ContainsFunc(cols, func(c *parquetColumn) bool { return c.name == name }) {
			return nil, &UnknownColumnError{Column: name}
		}
	}
	buf := make([]parquet.Value, 4096)
	for g, rg := range pf.RowGroups() {
		chunks := rg.ColumnChunks()
		if len(chunks) != len(cols) {
			return nil, fmt.Errorf("parquet: row group %d has %d columns, the schema %d", g, len(chunks), len(cols))
		}
		for i, chunk := range chunks {
			if err := readChunk(chunk, rg.NumRows(), buf, cols[i].add); err != nil {
				return nil, fmt.Errorf("parquet: column %q, row group %d: %w", cols[i].name, g, err)
			}
		}
	}
	p = &Profile{Model: model, Version: version, Rows: int(pf.NumRows()), Created: now.UTC()}
	for i, c := range cols {
		fp, err := c.profile(func(visit func([]float64)) error {
			fbuf := make([]float64, 0, len(buf))
			for g, rg := range pf.RowGroups() {
				err := readChunk(rg.ColumnChunks()[i], rg.NumRows(), buf, func(vals []parquet.Value) {
					fbuf, _ = c.numbers(vals, fbuf[:0])
					visit(fbuf)
				})
				if err != nil {
					return fmt.Errorf("row group %d: %w", g, err)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("parquet: column %q: %w", c.name, err)
		}
		p.Features = append(p.Features, fp)
	}
	return p, nil
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

// parquetColumn profiles one leaf column: the first pass counts, the
// order statistics re-read it.
type parquetColumn struct {
	name        string
	kind        parquet.Kind
	scale       float64
	categorical bool // named in categorical: numbers counted by their text
	present     int64
	missing     int64
	sum         exactSum
	// cats are the categories in order of first appearance, index finds
	// a string's, numIndex a categorical number's.
	cats     []Category
	index    map[string]int
	numIndex map[float64]int
	// A boolean column is numerical without nulls and text with: both
	// are kept until the pass ends; boolFirst is the first value seen.
	trues, falses int64
	boolFirst     float64
	fbuf          []float64
}

func newParquetColumn(c *parquet.Column, categorical bool) (*parquetColumn, error) {
	pc := &parquetColumn{name: c.Name(), kind: c.Type().Kind(), scale: 1, categorical: categorical}
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
		pc.index = map[string]int{}
	default:
		return nil, fmt.Errorf("column %q has physical type %s, which a training profile cannot use (want boolean, int32, int64, float, double or a string)", c.Name(), pc.kind)
	}
	if categorical {
		pc.numIndex = map[float64]int{}
	}
	return pc, nil
}

// readChunk hands a column chunk's values to add page by page, checking
// the chunk holds exactly rows values (nulls included). A page claiming
// more values than the row group has rows left is refused before it is
// decoded: a few bytes of run-length levels can claim billions of nulls.
func readChunk(chunk parquet.ColumnChunk, rows int64, buf []parquet.Value, add func([]parquet.Value)) error {
	pages := chunk.Pages()
	defer pages.Close()
	var n int64
	for {
		page, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if k := page.NumValues(); k < 0 || k > rows-n {
			parquet.Release(page)
			return fmt.Errorf("a page claims %d values, more than the %d rows left in the row group", k, rows-n)
		}
		values := page.Values()
		for {
			k, err := values.ReadValues(buf)
			if n += int64(k); n > rows {
				parquet.Release(page)
				return fmt.Errorf("pages hold more values than the row group's %d rows", rows)
			}
			add(buf[:k])
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquet.Release(page)
				return err
			}
		}
		parquet.Release(page)
	}
	if n != rows {
		return fmt.Errorf("%d values for %d rows", n, rows)
	}
	return nil
}

// numbers appends the present values of a numerical column's vals to dst
// as float64 (booleans 1 and 0, decimals scaled) and counts the missing
// ones: nulls and NaNs.
func (pc *parquetColumn) numbers(vals []parquet.Value, dst []float64) ([]float64, int) {
	missing := 0
	// One loop per kind: the kind switch stays out of the per-value path.
	switch pc.kind {
	case parquet.Boolean:
		for _, v := range vals {
			switch {
			case v.IsNull():
				missing++
			case v.Boolean():
				dst = append(dst, 1)
			default:
				dst = append(dst, 0)
			}
		}
	case parquet.Int32:
		for _, v := range vals {
			if v.IsNull() {
				missing++
			} else {
				dst = append(dst, float64(v.Int32())/pc.scale)
			}
		}
	case parquet.Int64:
		for _, v := range vals {
			if v.IsNull() {
				missing++
			} else {
				dst = append(dst, float64(v.Int64())/pc.scale)
			}
		}
	case parquet.Float:
		for _, v := range vals {
			if f := v.Float(); v.IsNull() || f != f {
				missing++
			} else {
				dst = append(dst, float64(f))
			}
		}
	case parquet.Double:
		for _, v := range vals {
			if f := v.Double(); v.IsNull() || f != f {
				missing++
			} else {
				dst = append(dst, f)
			}
		}
	}
	return dst, missing
}

// add counts one batch of the first pass.
func (pc *parquetColumn) add(vals []parquet.Value) {
	if pc.index != nil {
		for _, v := range vals {
			if v.IsNull() {
				pc.missing++
				continue
			}
			b := v.ByteArray()
			i, ok := pc.index[string(b)]
			if !ok {
				i = len(pc.cats)
				label := string(b)
				pc.index[label] = i
				pc.cats = append(pc.cats, Category{Value: label})
			}
			pc.cats[i].Count++
			pc.present++
		}
		return
	}
	var missing int
	pc.fbuf, missing = pc.numbers(vals, pc.fbuf[:0])
	pc.missing += int64(missing)
	pc.present += int64(len(pc.fbuf))
	if pc.kind == parquet.Boolean {
		for _, v := range pc.fbuf {
			if pc.trues+pc.falses == 0 {
				pc.boolFirst = v
			}
			if v == 1 {
				pc.trues++
			} else {
				pc.falses++
			}
		}
	}
	if pc.categorical {
		for _, v := range pc.fbuf {
			i, ok := pc.numIndex[v]
			if !ok {
				i = len(pc.cats)
				pc.numIndex[v] = i
				pc.cats = append(pc.cats, Category{Value: numberText(v)})
			}
			pc.cats[i].Count++
		}
		return
	}
	for _, v := range pc.fbuf {
		pc.sum.add(v)
	}
}

// profile is the column's feature once the first pass is done; src
// re-reads a numerical column for its order statistics.
func (pc *parquetColumn) profile(src valueSource) (Feature, error) {
	fp := Feature{Name: pc.name, Count: int(pc.present), Missing: int(pc.missing)}
	switch {
	case pc.index != nil:
		fp.Type, fp.Categories = Categorical, pc.cats
	case pc.kind == parquet.Boolean && pc.missing > 0:
		// pandas reads True/False with missing cells as text.
		fp.Type = Categorical
		cats := []Category{{Value: "True", Count: int(pc.trues)}, {Value: "False", Count: int(pc.falses)}}
		if pc.boolFirst == 0 {
			cats[0], cats[1] = cats[1], cats[0]
		}
		for _, c := range cats {
			if c.Count > 0 {
				fp.Categories = append(fp.Categories, c)
			}
		}
	case pc.categorical:
		fp.Type, fp.Categories = Categorical, pc.cats
	default:
		fp.Type = Numerical
		if _, err := numeric(&fp, pc.present, &pc.sum, src); err != nil {
			return fp, err
		}
	}
	return fp, nil
}
