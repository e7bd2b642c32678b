package api

import (
	"net/http"
	"time"

	"github.com/mlectl/mlectl/internal/timeparse"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/store"
)

// Bounds of the sample endpoint's scan: it reads the log forward, so the
// span it may read is capped (an hour of a busy model is already a
// million records).
const (
	DefaultSampleSpan = 5 * time.Minute
	MaxSampleSpan     = time.Hour
)

// SampleRoleServing is the sample's default role: the versions that serve
// (production and canary), not the shadow that scores the same requests.
const SampleRoleServing = "serving"

// ServeSample answers GET /api/v1/predictions/sample: the newest record of
// a model (and version, and role) between from and to that carries
// explanations, or the newest record at all when none in the span does,
// as one JSON object in the export's NDJSON shape. role is serving (the
// default without a version: production or canary records, so a shadow
// scoring the same requests does not stand in for what users got),
// production, canary or shadow; with a version and no role, any of that
// version's records. from defaults to five minutes before to, to to now;
// the span may not exceed an hour. 404 when the span holds no such record.
// The console's record view reads it: one prediction with its inputs and
// the contributions the model logged with it.
func (h *Handler) ServeSample(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	query := store.Query{Model: q.Get("model"), Version: q.Get("version")}
	if query.Model == "" {
		fail(w, http.StatusBadRequest, "model: is required")
		return
	}
	role := q.Get("role")
	switch role {
	case "":
		if query.Version == "" {
			role = SampleRoleServing
		}
	case SampleRoleServing, predlog.RoleProduction, predlog.RoleCanary, predlog.RoleShadow:
	default:
		fail(w, http.StatusBadRequest, "role: %q is not one of %s, %s, %s, %s", role,
			SampleRoleServing, predlog.RoleProduction, predlog.RoleCanary, predlog.RoleShadow)
		return
	}
	wanted := func(rec *predlog.Record) bool {
		switch role {
		case "":
			return true
		case SampleRoleServing:
			return rec.Role != predlog.RoleShadow
		}
		return rec.Role == role
	}
	now := h.cfg.Now()
	to := now.UTC()
	var err error
	if s := q.Get("to"); s != "" {
		if to, err = timeparse.Parse(s, now); err != nil {
			fail(w, http.StatusBadRequest, "to: %v", err)
			return
		}
	}
	from := to.Add(-DefaultSampleSpan)
	if s := q.Get("from"); s != "" {
		if from, err = timeparse.Parse(s, now); err != nil {
			fail(w, http.StatusBadRequest, "from: %v", err)
			return
		}
	}
	switch {
	case from.After(to):
		fail(w, http.StatusBadRequest, "from: %s is after to (%s)", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
		return
	case to.Sub(from) > MaxSampleSpan:
		fail(w, http.StatusBadRequest, "from: the span %s exceeds the sample's limit of %s; narrow from/to", to.Sub(from), MaxSampleSpan)
		return
	}
	query.From, query.To = from, to
	var newest, explained []byte
	err = h.cfg.Log.Scan(r.Context(), query, func(rec *predlog.Record) error {
		if !wanted(rec) {
			return nil
		}
		newest = predlog.AppendJSON(newest[:0], rec)
		if len(rec.Explanations) > 0 {
			explained = append(explained[:0], newest...)
		}
		return nil
	})
	if err != nil {
		fail(w, http.StatusServiceUnavailable, "reading the prediction log: %v", err)
		return
	}
	out := explained
	if out == nil {
		out = newest
	}
	if out == nil {
		what := query.Model
		if query.Version != "" {
			what += " " + query.Version
		}
		if role != "" {
			what += " (role " + role + ")"
		}
		fail(w, http.StatusNotFound, "model: no record of %s between %s and %s", what,
			from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}
