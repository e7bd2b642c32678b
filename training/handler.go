package training

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/internal/apienv"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/internal/timeparse"
)

// Path is the endpoint of the training-run log.
const Path = "/api/v1/training-runs"

// maxBody caps a request body: one run is a few hundred bytes.
const maxBody = 64 << 10

// Handler serves the training-run log over HTTP.
type Handler struct {
	store  *Store
	logger *slog.Logger
}

// NewHandler returns the HTTP side of s; logger may be nil.
func NewHandler(s *Store, logger *slog.Logger) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{store: s, logger: logger}
}

// Routes are the endpoints, bare: the collector guards them for their
// role. Adding a run is ingest (a CI or training pipeline sends it, like
// predictions; a responder token passes too); listing is a read.
func (h *Handler) Routes() []route.Route {
	return []route.Route{
		{Method: http.MethodPost, Pattern: Path, Role: auth.RoleIngest, Handler: http.HandlerFunc(h.serveAdd)},
		{Method: http.MethodGet, Pattern: Path, Role: auth.RoleViewer, Handler: http.HandlerFunc(h.serveList)},
	}
}

func (h *Handler) serveAdd(w http.ResponseWriter, r *http.Request) {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	var run Run
	if err := dec.Decode(&run); err != nil {
		msg := "request body: " + err.Error()
		if errors.Is(err, io.EOF) {
			msg = "request body is empty; expected a JSON object with model, version, status, started, ended, cost"
		}
		apienv.Error(w, http.StatusBadRequest, msg)
		return
	}
	if dec.More() {
		apienv.Error(w, http.StatusBadRequest, "request body: one JSON object expected, found more")
		return
	}
	stored, err := h.store.Add(r.Context(), run)
	switch {
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrUnknownModel):
		apienv.Error(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		h.logger.Error("storing a training run failed", "model", run.Model, "err", err)
		apienv.Error(w, http.StatusInternalServerError, err.Error())
		return
	}
	apienv.Data(w, http.StatusCreated, stored)
}

func (h *Handler) serveList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := Filter{Model: q.Get("model")}
	now := h.store.now()
	var err error
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(p.name); v != "" {
			if *p.dst, err = timeparse.Parse(v, now); err != nil {
				apienv.Error(w, http.StatusBadRequest, fmt.Sprintf("parameter %s: %v", p.name, err))
				return
			}
		}
	}
	if l := q.Get("limit"); l != "" {
		if f.Limit, err = strconv.Atoi(l); err != nil || f.Limit < 1 {
			apienv.Error(w, http.StatusBadRequest, fmt.Sprintf("parameter limit %q must be a positive integer", l))
			return
		}
	}
	if f.Model != "" && h.store.models != nil {
		known, err := h.store.models.Known(r.Context(), f.Model)
		if err != nil {
			apienv.Error(w, http.StatusInternalServerError, err.Error())
			return
		}
		if !known {
			apienv.Error(w, http.StatusNotFound, fmt.Sprintf("parameter model: %s is not registered", f.Model))
			return
		}
	}
	runs, err := h.store.List(r.Context(), f)
	if err != nil {
		apienv.Error(w, http.StatusInternalServerError, err.Error())
		return
	}
	if runs == nil {
		runs = []Run{}
	}
	apienv.Data(w, http.StatusOK, runs)
}
