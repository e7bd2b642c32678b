package collector

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"
	"google.golang.org/protobuf/encoding/protowire"
)

// limitError is a request refused as a whole because it is too large. Field
// names the limit (as spelt in the config file) so that an operator can find
// it.
type limitError struct {
	status int
	field  string
	msg    string
}

func (e *limitError) Error() string {
	return fmt.Sprintf("%s (limit %s)", e.msg, e.field)
}

// maxPooledDecodeBuffer caps the decode buffers kept for reuse. A buffer
// grows to the largest body it decoded (up to max_decoded_bytes, 64 MiB);
// pooling such buffers kept the heap at 1.78 GB after 32 concurrent 63 MB
// requests had long finished. Typical remote-write bodies (Prometheus sends
// at most 2,000 samples per request) decode to a few hundred KiB.
const maxPooledDecodeBuffer = 4 << 20

func (s *Server) getDecodeBuffer() *[]byte {
	if bufp, _ := s.bufPool.Get().(*[]byte); bufp != nil {
		return bufp
	}
	return new([]byte)
}

// putDecodeBuffer returns bufp to the pool unless it grew beyond
// maxPooledDecodeBuffer, in which case the garbage collector gets it.
func (s *Server) putDecodeBuffer(bufp *[]byte) {
	if cap(*bufp) > maxPooledDecodeBuffer {
		return
	}
	s.bufPool.Put(bufp)
}

// errBadPayload marks a body that is not valid snappy or protobuf.
var errBadPayload = errors.New("malformed remote-write payload")

// readBody reads at most maxBytes of r (a negative maxBytes is unlimited).
func readBody(r io.Reader, contentLength, maxBytes int64) ([]byte, error) {
	if exceeds(contentLength, maxBytes) {
		return nil, &limitError{http.StatusRequestEntityTooLarge, "max_body_bytes",
			fmt.Sprintf("request body of %d bytes exceeds %d bytes", contentLength, maxBytes)}
	}
	if maxBytes < 0 {
		return io.ReadAll(r)
	}
	initial := min(max(contentLength, 512), maxBytes+1)
	buf := make([]byte, 0, initial)
	lr := io.LimitReader(r, maxBytes+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
	}
	if int64(len(buf)) > maxBytes {
		return nil, &limitError{http.StatusRequestEntityTooLarge, "max_body_bytes",
			fmt.Sprintf("request body exceeds %d bytes", maxBytes)}
	}
	return buf, nil
}

// maxSnappyExpansion bounds how much a valid snappy block expands: its
// densest element, a 3-byte copy, produces 64 bytes.
const maxSnappyExpansion = 22

// snappyDecode decompresses a snappy block into dst, refusing before any
// allocation when the length announced in the snappy header exceeds
// maxDecoded.
func snappyDecode(dst, compressed []byte, maxDecoded int64) ([]byte, error) {
	n, err := snappy.DecodedLen(compressed)
	if err != nil {
		return nil, fmt.Errorf("%w: snappy header: %w", errBadPayload, err)
	}
	if int64(n) > maxSnappyExpansion*int64(len(compressed)) {
		// No snappy block expands this much: the body is not snappy, and
		// its first bytes only happen to read as a huge length.
		return nil, fmt.Errorf("%w: not a snappy block (its header announces %d decoded bytes, more than %d bytes of snappy can hold)",
			errBadPayload, n, len(compressed))
	}
	if exceeds(int64(n), maxDecoded) {
		return nil, &limitError{http.StatusRequestEntityTooLarge, "max_decoded_bytes",
			fmt.Sprintf("decompressed payload of %d bytes exceeds %d bytes", n, maxDecoded)}
	}
	out, err := snappy.Decode(dst[:cap(dst)], compressed)
	if err != nil {
		return nil, fmt.Errorf("%w: snappy: %w", errBadPayload, err)
	}
	return out, nil
}

// countSeries counts the top-level repeated field `timeseriesField` of a
// protobuf message with a wire-format scan, so that an oversized request is
// refused before it is unmarshalled into objects.
func countSeries(msg []byte, timeseriesField protowire.Number) (int, error) {
	count := 0
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return 0, fmt.Errorf("%w: protobuf tag: %w", errBadPayload, protowire.ParseError(n))
		}
		msg = msg[n:]
		n = protowire.ConsumeFieldValue(num, typ, msg)
		if n < 0 {
			return 0, fmt.Errorf("%w: protobuf field %d: %w", errBadPayload, num, protowire.ParseError(n))
		}
		msg = msg[n:]
		if num == timeseriesField && typ == protowire.BytesType {
			count++
		}
	}
	return count, nil
}

// DecodeWriteRequest decodes a snappy-compressed Prometheus remote-write 1.0
// body into req, enforcing the decoded-size and series-count limits of l
// before allocating for them. buf is scratch space for the decompressed
// bytes; the (possibly grown) buffer is returned for reuse (req copies what
// it keeps, so buf may be reused at once).
func DecodeWriteRequest(compressed []byte, l Limits, buf []byte, req *prompb.WriteRequest) ([]byte, error) {
	l = Config{Limits: l}.withDefaults().Limits
	raw, err := snappyDecode(buf, compressed, l.MaxDecodedBytes)
	if err != nil {
		return buf, err
	}
	if cap(raw) > cap(buf) {
		buf = raw
	}
	n, err := countSeries(raw, 1) // WriteRequest.timeseries = 1
	if err != nil {
		return buf, err
	}
	if exceeds(n, l.MaxSeriesPerRequest) {
		return buf, &limitError{http.StatusRequestEntityTooLarge, "max_series_per_request",
			fmt.Sprintf("request holds %d series, more than %d", n, l.MaxSeriesPerRequest)}
	}
	req.Reset()
	if err := req.Unmarshal(raw); err != nil {
		return buf, fmt.Errorf("%w: protobuf: %w", errBadPayload, err)
	}
	return buf, nil
}
