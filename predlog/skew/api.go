package skew

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/internal/apienv"
	"github.com/mlectl/mlectl/internal/route"
)

// Handler serves a Tracker's windows over HTTP.
type Handler struct {
	t     *Tracker
	guard func(http.Handler) http.Handler
}

// NewHandler serves t; guard (nil for none) wraps the route, e.g. with the
// viewer-role check of package auth.
func NewHandler(t *Tracker, guard func(http.Handler) http.Handler) *Handler {
	return &Handler{t: t, guard: guard}
}

// Routes lists the histogram route (a read: viewer), bare; the collector's
// route table guards it.
func (h *Handler) Routes() []route.Route {
	return []route.Route{{Method: http.MethodGet, Pattern: "/api/v1/drift/{model}/features/{feature}/histogram", Role: auth.RoleViewer, Handler: http.HandlerFunc(h.ServeHistogram)}}
}

// Mount registers the histogram route on m behind the guard given to
// NewHandler (for tests and tools; the collector mounts its route table).
func (h *Handler) Mount(m route.Mux) {
	for _, r := range h.Routes() {
		if h.guard != nil {
			r.Handler = h.guard(r.Handler)
		}
		m.Handle(r.MuxPattern(), r.Handler)
	}
}

// ServeHistogram is GET /api/v1/drift/{model}/features/{feature}/histogram
// ?version=V&bins=N&window=scored|open: the feature's distribution in the
// scored (last closed, the default) or open window beside its baseline's
// (see Histogram). 400 names the bad parameter, 404 says what is unknown.
func (h *Handler) ServeHistogram(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	bins := 0
	if s := q.Get("bins"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			apienv.Error(w, http.StatusBadRequest, fmt.Sprintf("bins: %q is not a whole number (want 1 to %d)", s, MaxBins))
			return
		}
		if n < 1 || n > MaxBins {
			apienv.Error(w, http.StatusBadRequest, fmt.Sprintf("bins: want 1 to %d, got %d", MaxBins, n))
			return
		}
		bins = n
	}
	res, err := h.t.Histogram(r.PathValue("model"), q.Get("version"), r.PathValue("feature"), q.Get("window"), bins)
	var pe *ParamError
	switch {
	case errors.As(err, &pe):
		apienv.Error(w, http.StatusBadRequest, pe.Error())
	case errors.Is(err, ErrNotFound):
		apienv.Error(w, http.StatusNotFound, err.Error())
	case err != nil:
		apienv.Error(w, http.StatusInternalServerError, err.Error())
	default:
		apienv.Data(w, http.StatusOK, res)
	}
}
