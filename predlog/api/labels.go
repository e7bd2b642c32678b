package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/store"
)

// LabelReader looks up stored ground-truth labels by request id; the shadow
// comparison joins labels with it. Not safe for concurrent use: take one
// per reader with Handler.Labels.
type LabelReader struct {
	log Log
	dec *predlog.Decoder
}

// Labels returns a reader of the labels POST /api/v1/feedback stored.
func (h *Handler) Labels() *LabelReader {
	return &LabelReader{log: h.cfg.Log, dec: predlog.NewDecoder(nil)}
}

// Label returns the ground truth of a request id (ok false when none arrived
// or it aged out of the label horizon).
func (l *LabelReader) Label(ctx context.Context, requestID string) (predlog.Value, bool, error) {
	val, err := l.log.GetMeta(ctx, nsLabel, requestID)
	if errors.Is(err, store.ErrNotFound) {
		return predlog.Value{}, false, nil
	}
	if err != nil {
		return predlog.Value{}, false, fmt.Errorf("reading the label of %s: %w", requestID, err)
	}
	var fb predlog.Feedback
	if err := l.dec.DecodeFeedback(val, &fb); err != nil {
		return predlog.Value{}, false, fmt.Errorf("stored label of %s is unreadable: %w", requestID, err)
	}
	return fb.Label, true, nil
}

// Attach adds an observer and a series writer (either may be nil) to a
// built Handler, for parts built after the pipeline (the live shadow scorer
// needs the registry). Call it before the handler serves requests and
// before Run starts: it is not synchronized with them.
func (h *Handler) Attach(o Observer, s SeriesWriter) {
	if o != nil {
		h.cfg.Observers = append(h.cfg.Observers, o)
	}
	if s != nil {
		h.cfg.Series = append(h.cfg.Series, s)
	}
}
