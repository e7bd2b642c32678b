package tsdb

import (
	"bufio"
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

// wal is a directory of append-only segment files. Each Commit is one framed
// record written with a single write(2), so an acknowledged commit is in the
// page cache and survives kill -9; fsync runs on a timer, on rotation and on
// close (or per commit with syncEvery).
type wal struct {
	dir       string
	syncEvery bool

	mu    sync.Mutex
	f     *os.File
	seg   int
	dirty bool
	size  int64
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
// or corrupt tail of the last segment is truncated away (it was never
// acknowledged); corruption elsewhere is reported through warn and skipped.
func replayWAL(dir string, warn func(msg string, args ...any), fn func(e *walEntry) error) (lastSeg int, err error) {
	segs, err := listSegments(dir)
	if err != nil {
		return 0, fmt.Errorf("list WAL segments in %s: %w", dir, err)
	}
	sb := labels.NewScratchBuilder(8)
	for i, n := range segs {
		lastSeg = n
		good, rerr := replaySegment(segmentName(dir, n), &sb, fn)
		if rerr == nil {
			continue
		}
		if !errors.Is(rerr, errCorrupt) {
			return lastSeg, rerr
		}
		warn("WAL segment has a torn or corrupt record; later records in it are dropped",
			"segment", segmentName(dir, n), "valid_bytes", good, "err", rerr, "last_segment", i == len(segs)-1)
		if err := os.Truncate(segmentName(dir, n), good); err != nil {
			return lastSeg, fmt.Errorf("truncate corrupt WAL segment: %w", err)
		}
	}
	return lastSeg, nil
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

func openWAL(dir string, seg int, syncEvery bool) (*wal, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create WAL dir: %w", err)
	}
	w := &wal{dir: dir, syncEvery: syncEvery, seg: seg}
	f, err := os.OpenFile(segmentName(dir, seg), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open WAL segment: %w", err)
	}
	w.f = f
	return w, nil
}

// write appends one framed record with a single write(2).
func (w *wal) write(rec []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return errors.New("WAL is closed")
	}
	if _, err := w.f.Write(rec); err != nil {
		return fmt.Errorf("write WAL: %w", err)
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
	if w.f == nil {
		return 0, errors.New("WAL is closed")
	}
	if err := w.f.Sync(); err != nil {
		return 0, fmt.Errorf("fsync WAL: %w", err)
	}
	if err := w.f.Close(); err != nil {
		return 0, fmt.Errorf("close WAL segment: %w", err)
	}
	w.seg++
	f, err := os.OpenFile(segmentName(w.dir, w.seg), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		w.f = nil
		return 0, fmt.Errorf("open WAL segment: %w", err)
	}
	w.f, w.dirty, w.size = f, false, 0
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
