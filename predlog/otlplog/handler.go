package otlplog

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/internal/apienv"
	"github.com/mlectl/mlectl/internal/diskguard"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/predlog"
)

// Path is the endpoint, beside Prometheus's OTLP metrics receiver.
const Path = "/api/v1/otlp/v1/logs"

// DefaultMaxBodyBytes bounds a request body (decompressed).
const DefaultMaxBodyBytes = 32 << 20

// Content types of OTLP/HTTP.
const (
	ContentTypeProtobuf = "application/x-protobuf"
	ContentTypeJSON     = "application/json"
)

// Ingester stores records the way POST /api/v1/predictions does
// (api.Handler.Ingest) and applies its time bounds (api.Handler.CheckTime).
type Ingester interface {
	Ingest(ctx context.Context, recs []predlog.Record) error
	CheckTime(ts int64) error
}

// Handler serves POST /api/v1/otlp/v1/logs.
type Handler struct {
	log    *slog.Logger
	now    func() time.Time
	max    int64
	mu     sync.RWMutex
	ingest Ingester
	pool   sync.Pool // *decoder
}

// New builds a Handler; logger and now may be nil, maxBody 0 means
// DefaultMaxBodyBytes. Set the Ingester with SetIngester before serving.
func New(logger *slog.Logger, now func() time.Time, maxBody int64) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	if maxBody <= 0 {
		maxBody = DefaultMaxBodyBytes
	}
	return &Handler{log: logger, now: now, max: maxBody}
}

// SetIngester sets where records go.
func (h *Handler) SetIngester(i Ingester) {
	h.mu.Lock()
	h.ingest = i
	h.mu.Unlock()
}

// Routes lists the endpoint, bare (the collector's route table guards it
// with the ingest role).
func (h *Handler) Routes() []route.Route {
	return []route.Route{{Method: http.MethodPost, Pattern: Path, Role: auth.RoleIngest, Handler: h}}
}

// Response is the JSON answer to a request with refused records (a fully
// stored request gets OTLP's own ExportLogsServiceResponse).
type Response struct {
	Accepted int      `json:"accepted"`
	Rejected int      `json:"rejected"`
	Error    string   `json:"error,omitempty"`
	Errors   []string `json:"errors,omitempty"`
}

func fail(w http.ResponseWriter, code int, err error) {
	apienv.WriteJSON(w, code, Response{Error: err.Error()})
}

// Decode reads an OTLP/HTTP logs body of the given content type.
func Decode(contentType string, body []byte) (plog.Logs, error) {
	req := plogotlp.NewExportRequest()
	mt, _, _ := mime.ParseMediaType(contentType)
	var err error
	switch mt {
	case ContentTypeProtobuf:
		err = req.UnmarshalProto(body)
	case ContentTypeJSON:
		err = req.UnmarshalJSON(body)
	default:
		return plog.Logs{}, fmt.Errorf("Content-Type %q is not supported: send %s or %s", contentType, ContentTypeProtobuf, ContentTypeJSON)
	}
	if err != nil {
		return plog.Logs{}, fmt.Errorf("the body is not an OTLP ExportLogsServiceRequest (%s): %w", mt, err)
	}
	return req.Logs(), nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var rd io.Reader = http.MaxBytesReader(w, r.Body, h.max)
	switch ce := r.Header.Get("Content-Encoding"); ce {
	case "", "identity":
	case "gzip":
		gz, err := gzip.NewReader(rd)
		if err != nil {
			fail(w, http.StatusBadRequest, fmt.Errorf("Content-Encoding gzip: %w", err))
			return
		}
		rd = io.LimitReader(gz, h.max+1)
	default:
		fail(w, http.StatusUnsupportedMediaType, fmt.Errorf("Content-Encoding %q is not supported: send gzip or none", ce))
		return
	}
	body, err := io.ReadAll(rd)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail(w, http.StatusRequestEntityTooLarge, fmt.Errorf("request body is over the limit of %d bytes; nothing was stored", mbe.Limit))
			return
		}
		fail(w, http.StatusBadRequest, fmt.Errorf("reading the request body: %w", err))
		return
	}
	if int64(len(body)) > h.max {
		fail(w, http.StatusRequestEntityTooLarge, fmt.Errorf("decompressed body is over the limit of %d bytes; nothing was stored", h.max))
		return
	}
	ct := r.Header.Get("Content-Type")
	ld, err := Decode(ct, body)
	if err != nil {
		code := http.StatusBadRequest
		if r.Header.Get("Content-Type") == "" || !isOTLPType(ct) {
			code = http.StatusUnsupportedMediaType
		}
		fail(w, code, err)
		return
	}
	h.mu.RLock()
	ing := h.ingest
	h.mu.RUnlock()
	if ing == nil {
		fail(w, http.StatusServiceUnavailable, errors.New("the prediction log is not open"))
		return
	}

	d, _ := h.pool.Get().(*decoder)
	if d == nil {
		d = newDecoder(h.now)
	}
	defer func() { d.dec.Recycle(); h.pool.Put(d) }()
	recs, where, bad := d.decode(ld, nil, nil)
	kept := recs[:0]
	for i := range recs {
		if err := ing.CheckTime(recs[i].TS); err != nil {
			var fe *predlog.FieldError
			if !errors.As(err, &fe) {
				fail(w, http.StatusInternalServerError, err)
				return
			}
			bad = append(bad, &RecordError{Where: where[i], Attr: "timeUnixNano", Msg: fe.Msg})
			continue
		}
		kept = append(kept, recs[i])
	}
	if len(kept) > 0 {
		if err := ing.Ingest(r.Context(), kept); err != nil {
			h.log.Error("storing OTLP prediction records failed", "records", len(kept), "err", err)
			// 507 when the disk guard refused (retry once space is
			// freed), else 503: as POST /api/v1/predictions.
			code := http.StatusServiceUnavailable
			if errors.Is(err, diskguard.ErrFull) {
				code = http.StatusInsufficientStorage
			}
			fail(w, code, fmt.Errorf("storing %d records failed, none is acknowledged: %w", len(kept), err))
			return
		}
	}
	if len(bad) > 0 {
		resp := Response{Accepted: len(kept), Rejected: len(bad)}
		for _, e := range bad {
			resp.Errors = append(resp.Errors, e.Error())
		}
		resp.Error = fmt.Sprintf("%d of %d log records refused, the others stored; first: %s", len(bad), len(bad)+len(kept), resp.Errors[0])
		apienv.WriteJSON(w, http.StatusBadRequest, resp)
		return
	}
	writeExportResponse(w, ct)
}

func isOTLPType(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == ContentTypeProtobuf || mt == ContentTypeJSON
}

// writeExportResponse answers a fully stored request with an empty
// ExportLogsServiceResponse in the request's encoding, as OTLP/HTTP
// receivers do.
func writeExportResponse(w http.ResponseWriter, ct string) {
	resp := plogotlp.NewExportResponse()
	var b []byte
	var err error
	if mt, _, _ := mime.ParseMediaType(ct); mt == ContentTypeJSON {
		b, err = resp.MarshalJSON()
		w.Header().Set("Content-Type", ContentTypeJSON)
	} else {
		b, err = resp.MarshalProto()
		w.Header().Set("Content-Type", ContentTypeProtobuf)
	}
	if err != nil {
		fail(w, http.StatusInternalServerError, err)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
