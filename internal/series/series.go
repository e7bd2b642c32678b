package series

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

// Sample is one value of one series.
type Sample struct {
	Labels labels.Labels
	V      float64
}

// AppendFinite appends the finite samples at ts and commits them together;
// what names them in the commit error ("drift series"). On an append error
// nothing is committed.
func AppendFinite(ctx context.Context, db storage.Appendable, ts time.Time, what string, samples []Sample) error {
	if len(samples) == 0 {
		return nil
	}
	app := db.Appender(ctx)
	ms := ts.UnixMilli()
	for _, s := range samples {
		if math.IsNaN(s.V) || math.IsInf(s.V, 0) {
			continue
		}
		if _, err := app.Append(0, s.Labels, ms, s.V); err != nil {
			_ = app.Rollback()
			return fmt.Errorf("append %s: %w", s.Labels, err)
		}
	}
	if err := app.Commit(); err != nil {
		return fmt.Errorf("commit %s: %w", what, err)
	}
	return nil
}
