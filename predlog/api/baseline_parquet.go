package api

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"

	"github.com/mlectl/mlectl/predlog/baseline"
)

// ParquetContentType is the media type of a Parquet training set PUT to
// /api/v1/baselines/{model}/{version}.
const ParquetContentType = "application/vnd.apache.parquet"

// isParquetUpload reports whether a baseline body is a Parquet training
// set: sent as ParquetContentType, or as application/octet-stream that
// starts with the PAR1 magic. A JSON profile is anything else.
func isParquetUpload(contentType string, body *bufio.Reader) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case ParquetContentType:
		return true
	case "application/octet-stream":
		head, _ := body.Peek(len(baseline.ParquetMagic))
		return baseline.IsParquet(head)
	}
	return false
}

// errBadParquet is a Parquet body the server cannot profile (a 400).
type errBadParquet struct{ msg string }

func (e errBadParquet) Error() string { return e.msg }

// profileParquet spools a Parquet body to a temporary file (Parquet keeps
// its schema in a footer, so it is read with random access, not as a
// stream) under the spool directory, bounded by Limits.MaxBodyBytes, and
// profiles it. The file is removed before returning.
func (h *Handler) profileParquet(r *http.Request, body io.Reader, model, version string) (*baseline.Profile, []byte, error) {
	dir := h.cfg.SpoolDir
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("spooling the Parquet body: %w", err)
	}
	f, err := os.CreateTemp(dir, "baseline-*.parquet")
	if err != nil {
		return nil, nil, fmt.Errorf("spooling the Parquet body: %w", err)
	}
	defer func() {
		_ = f.Close()
		_ = os.Remove(f.Name())
	}()
	size, err := io.Copy(f, body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("spooling the Parquet body: %w", err)
	}
	if !baseline.IsParquet(firstBytes(f)) {
		return nil, nil, errBadParquet{"body: not a Parquet file (no PAR1 magic at its start)"}
	}
	var categorical []string
	for _, c := range strings.Split(r.URL.Query().Get("categorical"), ",") {
		if c = strings.TrimSpace(c); c != "" {
			categorical = append(categorical, c)
		}
	}
	// Profiled straight from the spooled file, in memory that does not
	// grow with its rows.
	p, err := baseline.ProfileParquet(model, version, f, size, categorical, h.cfg.Now())
	var unknown *baseline.UnknownColumnError
	switch {
	case errors.As(err, &unknown):
		return nil, nil, errBadParquet{fmt.Sprintf("categorical: the Parquet file has no column %q", unknown.Column)}
	case err != nil:
		return nil, nil, errBadParquet{"body: " + err.Error()}
	}
	b, err := p.Marshal()
	if err != nil {
		return nil, nil, err
	}
	return p, b, nil
}

func firstBytes(f *os.File) []byte {
	head := make([]byte, len(baseline.ParquetMagic))
	n, _ := f.ReadAt(head, 0)
	return head[:n]
}

// failParquet answers a Parquet upload that was not stored: 413 over the
// body limit, 400 for a file that cannot be profiled, 500 when the server
// could not spool it.
func failParquet(w http.ResponseWriter, err error) {
	var mbe *http.MaxBytesError
	var bad errBadParquet
	switch {
	case errors.As(err, &mbe):
		code, msg := classify(err)
		fail(w, code, "%s", msg)
	case errors.As(err, &bad):
		fail(w, http.StatusBadRequest, "%s; nothing was stored", bad.msg)
	default:
		fail(w, http.StatusInternalServerError, "%v; nothing was stored", err)
	}
}
