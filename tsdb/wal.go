package tsdb

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/prometheus/prometheus/model/labels"
)

// WAL entry types inside one record (one record per Commit).
const (
	walSeries     byte = 1 // uvarint ref, labels
	walFloat      byte = 2 // uvarint ref, varint t, varint st, float64 v
	walHistogram  byte = 3 // uvarint ref, varint t, varint st, histogram
	walFloatHisto byte = 4 // uvarint ref, varint t, varint st, float histogram
)

const walFrameHeader = 8 // uint32 payload length, uint32 CRC32-C of payload

// maxWALRecord bounds a record's length so a corrupt header cannot make
// replay allocate without limit.
const maxWALRecord = 1 << 30

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// walEntry is one decoded WAL entry.
type walEntry struct {
	typ  byte
	ref  uint64
	lset labels.Labels
	smp  sample
}

func appendWALSeries(dst []byte, ref uint64, ls labels.Labels) []byte {
	dst = append(dst, walSeries)
	dst = binary.AppendUvarint(dst, ref)
	return appendLabels(dst, ls)
}

func appendWALSample(dst []byte, ref uint64, s *sample) []byte {
	switch {
	case s.h != nil:
		dst = append(dst, walHistogram)
	case s.fh != nil:
		dst = append(dst, walFloatHisto)
	default:
		dst = append(dst, walFloat)
	}
	dst = binary.AppendUvarint(dst, ref)
	dst = binary.AppendVarint(dst, s.t)
	dst = binary.AppendVarint(dst, s.st)
	switch {
	case s.h != nil:
		dst = appendHistogram(dst, s.h)
	case s.fh != nil:
		dst = appendFloatHistogram(dst, s.fh)
	default:
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(s.v))
	}
	return dst
}

// decodeWALRecord calls fn for each entry of a record payload.
func decodeWALRecord(payload []byte, sb *labels.ScratchBuilder, fn func(e *walEntry) error) error {
	d := decoder{b: payload}
	var e walEntry
	for len(d.b) > 0 {
		e = walEntry{typ: d.byte1("wal entry type")}
		e.ref = d.uvarint("series ref")
		switch e.typ {
		case walSeries:
			e.lset = d.labels(sb)
		case walFloat, walHistogram, walFloatHisto:
			e.smp.t = d.varint("timestamp")
			e.smp.st = d.varint("start timestamp")
			switch e.typ {
			case walFloat:
				e.smp.v = d.float("value")
			case walHistogram:
				e.smp.h = d.histogram()
			default:
				e.smp.fh = d.floatHistogram()
			}
		default:
			d.fail(fmt.Sprintf("wal entry type %d", e.typ))
		}
		if d.err != nil {
			return d.err
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	return nil
}

// frameWALRecord turns buf[walFrameHeader:] into a framed record in place.
func frameWALRecord(buf []byte) {
	payload := buf[walFrameHeader:]
	binary.LittleEndian.PutUint32(buf[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[4:], crc32.Checksum(payload, castagnoli))
}

// walFile is what the WAL needs of an open segment. *os.File implements it;
// tests wrap it to fail writes the way a full disk does.
type walFile interface {
	Write(p []byte) (int, error)
	Truncate(size int64) error
	Sync() error
	Close() error
}

// wal is a directory of append-only segment files. Each Commit is one framed
// record written with a single write(2), so an acknowledged commit is in the
// page cache and survives kill -9; fsync runs on a timer, on rotation and on
// close (or per commit with syncEvery).
//
// A write that fails (ENOSPC, EIO) may have left part of its record in the
// segment. It is rolled back before the error is returned: the segment is
// truncated to the end of the last complete record, or, when that fails
// too, the segment is abandoned and the next write starts a new one. So no
// record is ever appended after a torn one in the same segment, and replay
// (which continues with the next segment after a torn tail) never drops an
// acknowledged record.
type wal struct {
	dir       string
	syncEvery bool
	open      func(path string) (walFile, error)

	mu     sync.Mutex
	f      walFile // nil after a failed rollback: the next write cuts a new segment
	seg    int
	dirty  bool
	size   int64 // bytes of complete records in segment seg
	closed bool
}

func segmentName(dir string, n int) string { return filepath.Join(dir, fmt.Sprintf("%08d", n)) }

func listSegments(dir string) ([]int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var segs []int
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil && !e.IsDir() {
			segs = append(segs, n)
		}
	}
	slices.Sort(segs)
	return segs, nil
}

// replayWAL reads every segment in order and calls fn for each entry. A torn
// or corrupt record is skipped: replay resumes at the next valid record of
// the same segment (see resync) or, failing that, with the next segment;
// a segment whose only damage is a torn tail is truncated there (it was
// never acknowledged).
func replayWAL(dir string, warn func(msg string, args ...any), fn func(e *walEntry) error) (lastSeg int, err error) {
	segs, err := listSegments(dir)
	if err != nil {
		return 0, fmt.Errorf("list WAL segments in %s: %w", dir, err)
	}
	sb := labels.NewScratchBuilder(8)
	for i, n := range segs {
		lastSeg = n
		path := segmentName(dir, n)
		good, rerr := replaySegment(path, &sb, fn)
		if rerr == nil {
			continue
		}
		if !errors.Is(rerr, errCorrupt) {
			return lastSeg, rerr
		}
		resumed, skipped, rerr2 := resyncSegment(path, good, &sb, fn)
		if rerr2 != nil {
			return lastSeg, rerr2
		}
		if resumed > 0 {
			warn("WAL segment has a torn or corrupt record; replay skipped it and resumed at the next valid record",
				"segment", path, "offset", good, "skipped_bytes", skipped, "err", rerr)
			continue
		}
		warn("WAL segment has a torn or corrupt tail; it is truncated (it was never acknowledged)",
			"segment", path, "valid_bytes", good, "err", rerr, "last_segment", i == len(segs)-1)
		if err := os.Truncate(path, good); err != nil {
			return lastSeg, fmt.Errorf("truncate corrupt WAL segment: %w", err)
		}
	}
	return lastSeg, nil
}

// resyncSegment looks, after the corrupt record at offset bad, for the next
// offset where a complete record with a valid checksum starts, and replays
// from there. It returns how many records it replayed after the damage (0:
// nothing valid follows, the tail is garbage) and how many bytes it
// skipped. Segments written by this version never need it (a failed write
// is rolled back), but older versions appended after a torn record.
func resyncSegment(path string, bad int64, sb *labels.ScratchBuilder, fn func(e *walEntry) error) (resumed int, skipped int64, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("read WAL segment: %w", err)
	}
	damaged := int(bad)
	for {
		start := nextFrame(b, damaged+1)
		if start < 0 {
			return resumed, skipped, nil
		}
		skipped += int64(start - damaged)
		n, err := replayFrames(bytes.NewReader(b[start:]), int64(len(b)-start), sb, func(e *walEntry) error {
			resumed++
			return fn(e)
		})
		if err == nil {
			return resumed, skipped, nil
		}
		if !errors.Is(err, errCorrupt) {
			return resumed, skipped, err
		}
		damaged = start + int(n)
	}
}

// nextFrame returns the first offset at or after off where a complete frame
// with a matching checksum and a known first entry type starts, or -1.
func nextFrame(b []byte, off int) int {
	for ; off+walFrameHeader < len(b); off++ {
		n := int(binary.LittleEndian.Uint32(b[off:]))
		end := off + walFrameHeader + n
		if n == 0 || n > maxWALRecord || end > len(b) || end < off {
			continue
		}
		payload := b[off+walFrameHeader : end]
		if t := payload[0]; t < walSeries || t > walFloatHisto {
			continue
		}
		if crc32.Checksum(payload, castagnoli) == binary.LittleEndian.Uint32(b[off+4:]) {
			return off
		}
	}
	return -1
}

func replaySegment(path string, sb *labels.ScratchBuilder, fn func(e *walEntry) error) (good int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open WAL segment: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat WAL segment: %w", err)
	}
	return replayFrames(bufio.NewReaderSize(f, 1<<20), fi.Size(), sb, fn)
}

// replayFrames decodes framed records from r (size bytes long) and returns
// the length of the valid prefix.
func replayFrames(r io.Reader, size int64, sb *labels.ScratchBuilder, fn func(e *walEntry) error) (good int64, err error) {
	var hdr [walFrameHeader]byte
	var payload []byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if err == io.EOF {
				return good, nil
			}
			return good, fmt.Errorf("%w: short record header: %v", errCorrupt, err)
		}
		n := binary.LittleEndian.Uint32(hdr[0:])
		if n > maxWALRecord || int64(n) > size-good-walFrameHeader {
			return good, fmt.Errorf("%w: record length %d", errCorrupt, n)
		}
		payload = slices.Grow(payload[:0], int(n))[:n]
		if _, err := io.ReadFull(r, payload); err != nil {
			return good, fmt.Errorf("%w: short record: %v", errCorrupt, err)
		}
		if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(hdr[4:]) {
			return good, fmt.Errorf("%w: record checksum mismatch", errCorrupt)
		}
		if err := decodeWALRecord(payload, sb, fn); err != nil {
			return good, err
		}
		good += int64(walFrameHeader) + int64(n)
	}
}

func openSegmentFile(path string) (walFile, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}

// openWAL starts segment seg in dir; open opens a segment file (nil: the
// real file).
func openWAL(dir string, seg int, syncEvery bool, open func(path string) (walFile, error)) (*wal, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create WAL dir: %w", err)
	}
	if open == nil {
		open = openSegmentFile
	}
	w := &wal{dir: dir, syncEvery: syncEvery, seg: seg - 1, open: open}
	if err := w.startSegmentLocked(); err != nil {
		return nil, err
	}
	return w, nil
}

// startSegmentLocked opens segment w.seg+1 and makes it current.
func (w *wal) startSegmentLocked() error {
	path := segmentName(w.dir, w.seg+1)
	f, err := w.open(path)
	if err != nil {
		return fmt.Errorf("open WAL segment %s: %w", path, err)
	}
	var size int64
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	w.seg++
	w.f, w.dirty, w.size = f, false, size
	return nil
}

// write appends one framed record with a single write(2). On failure the
// partial record is rolled back (see wal) before write returns, so the
// caller may report the commit as failed and later commits stay readable.
func (w *wal) write(rec []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("WAL is closed")
	}
	if w.f == nil {
		if err := w.startSegmentLocked(); err != nil {
			return fmt.Errorf("write WAL: a new segment is needed after a failed write: %w", err)
		}
	}
	if _, err := w.f.Write(rec); err != nil {
		w.rollbackLocked()
		return fmt.Errorf("write WAL segment %s: %w", segmentName(w.dir, w.seg), err)
	}
	w.size += int64(len(rec))
	if w.syncEvery {
		if err := w.f.Sync(); err != nil {
			return fmt.Errorf("fsync WAL: %w", err)
		}
		return nil
	}
	w.dirty = true
	return nil
}

// rollbackLocked removes whatever a failed write left after the last
// complete record; if the segment cannot be truncated it is abandoned (its
// torn tail is then the last thing in it) and the next write starts a new
// segment.
func (w *wal) rollbackLocked() {
	if err := w.f.Truncate(w.size); err == nil {
		return
	}
	_ = w.f.Sync()
	_ = w.f.Close()
	w.f, w.dirty = nil, false
}

func (w *wal) sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil || !w.dirty {
		return nil
	}
	w.dirty = false
	return w.f.Sync()
}

// rotate starts a new segment and returns its number; all records written
// before are in lower-numbered segments.
func (w *wal) rotate() (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, errors.New("WAL is closed")
	}
	if w.f != nil {
		if err := w.f.Sync(); err != nil {
			return 0, fmt.Errorf("fsync WAL: %w", err)
		}
		if err := w.f.Close(); err != nil {
			w.f = nil
			return 0, fmt.Errorf("close WAL segment: %w", err)
		}
		w.f = nil
	}
	if err := w.startSegmentLocked(); err != nil {
		// w.f stays nil: the next write retries with the same number.
		return 0, err
	}
	return w.seg, nil
}

// removeBefore deletes segments numbered below seg.
func (w *wal) removeBefore(seg int) error {
	segs, err := listSegments(w.dir)
	if err != nil {
		return err
	}
	for _, n := range segs {
		if n < seg {
			if err := os.Remove(segmentName(w.dir, n)); err != nil {
				return fmt.Errorf("remove WAL segment: %w", err)
			}
		}
	}
	return nil
}

func (w *wal) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if w.f == nil {
		return nil
	}
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	return err
}

// diskSize sums the sizes of all segments.
func (w *wal) diskSize() int64 {
	segs, _ := listSegments(w.dir)
	var n int64
	for _, s := range segs {
		if fi, err := os.Stat(segmentName(w.dir, s)); err == nil {
			n += fi.Size()
		}
	}
	return n
}
