package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/tsdb"
)

// seedOverviewSeries writes what the Overview and the drift tab's
// attribution ranking read beyond seedDB and seedModelSeries: the SLO
// period, fraud's quality window, label lag and coverage, the week's
// deploys and rollbacks and serving cost (series another part of the
// collector writes), and fraud v7's attribution per feature. churn, ranker
// and recsys get none of them: their cells read as dashes.
func seedOverviewSeries(db *tsdb.DB) error {
	const step = 15 * time.Second
	start := clock.Add(-90 * time.Minute)
	total := clock.Sub(start).Seconds()
	app := db.Appender(context.Background())
	var err error
	add := func(ms int64, v float64, kv ...string) {
		if err == nil {
			_, err = app.Append(0, labels.FromStrings(kv...), ms, v)
		}
	}
	for ts := start; !ts.After(clock) && err == nil; ts = ts.Add(step) {
		f := ts.Sub(start).Seconds() / total
		ms := ts.UnixMilli()
		for _, id := range []string{"fraud", "ranker"} {
			add(ms, 30, "__name__", "slo:time_period:days", "sloth_id", id+"-availability", "sloth_service", id, "sloth_slo", "availability")
		}
		v7 := []string{"model", "fraud", "version", "v7", "role", "prod"}
		add(ms, 500, append([]string{"__name__", "mle_quality_window_pairs"}, v7...)...)
		add(ms, 1800, append([]string{"__name__", "mle_label_lag_seconds"}, v7...)...)
		add(ms, 0.42, append([]string{"__name__", "mle_label_coverage_ratio"}, v7...)...)
		// The week's changes: fraud deployed three times and rolled one
		// back; ranker deployed once.
		add(ms, 3, "__name__", "mle_deployments_last_7d", "model", "fraud")
		add(ms, 1, "__name__", "mle_rollbacks_last_7d", "model", "fraud")
		add(ms, 1, "__name__", "mle_deployments_last_7d", "model", "ranker")
		add(ms, 0, "__name__", "mle_rollbacks_last_7d", "model", "ranker")
		add(ms, 0.042, "__name__", "mle_cost_per_1k_predictions", "model", "fraud", "version", "v7")
		add(ms, 0.85, "__name__", "mle_cost_per_1k_predictions", "model", "fraud", "version", "v8") // shadow: not production's
		// amount, the most drifted feature, also moved the predictions
		// most (package detail's tests rank a case where the two differ).
		for _, a := range []struct {
			feature        string
			meanAbs, first float64
		}{{"amount", 0.56, 0.35}, {"merchant_category", 0.19, 0.14}, {"hour", 0.05, 0.06}} {
			now := a.first + (a.meanAbs-a.first)*f
			add(ms, now, "__name__", "mle_feature_attribution_mean_abs", "model", "fraud", "version", "v7", "feature", a.feature)
			add(ms, now-a.first, "__name__", "mle_feature_attribution_change", "model", "fraud", "version", "v7", "feature", a.feature)
		}
	}
	if err != nil {
		_ = app.Rollback()
		return fmt.Errorf("seeding overview series: %w", err)
	}
	return app.Commit()
}

func TestOverviewView(t *testing.T) {
	eachSize(t, func(t *testing.T, w, h int) {
		s := openCommand(t, w, h, "overview", "Overview", "auc 0.82/0.92", "recsys")
		screen := s.screen()
		checkGolden(t, screen, w, h)
		lines := strings.Split(screen, "\n")
		fraud := lineWith(lines, "fraud")
		require.NotEmpty(t, fraud)
		// Budget left 20% of a 99.9% SLO over 30d: 0.08% errors, 99.92%.
		assert.Contains(t, fraud, "99.92%")
		assert.Contains(t, fraud, "20%")
		// The live AUC at the clock (0.92 - 0.1) against v7's registered 0.92.
		assert.Contains(t, fraud, "auc 0.82/0.92")
		assert.Contains(t, fraud, "12%", "drift share")
		assert.Contains(t, fraud, "33%", "one of three deploys rolled back")
		assert.Contains(t, fraud, "$0.042", "v7's cost, not the shadow's")
		assert.Contains(t, screen, "SLO, budget: 30d period")
		assert.Contains(t, screen, "quality over the last 500 labels")
		if w >= 160 {
			assert.Contains(t, fraud, "30m", "label lag")
			assert.Contains(t, fraud, "42%", "label coverage")
		}
		// A model with none of the series has a row of dashes, not zeros.
		churn := lineWith(lines, "churn")
		require.NotEmpty(t, churn)
		assert.NotContains(t, churn, "0%")
		assert.NotContains(t, screen, "checkout", "an SLO of an unknown service invents no row")
	})
}

type featureRow struct{ name, line string }

// featureRows returns the table rows of screen that start with one of
// names, in screen order.
func featureRows(screen string, names ...string) []featureRow {
	var out []featureRow
	for _, l := range strings.Split(screen, "\n") {
		row, ok := strings.CutPrefix(l, "  ") // a table row: the cursor's column, then the cells
		if !ok {
			row, ok = strings.CutPrefix(l, "› ")
		}
		for _, n := range names {
			if ok && strings.HasPrefix(row, n) {
				out = append(out, featureRow{n, l})
			}
		}
	}
	return out
}

func lineWith(lines []string, s string) string {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

func TestOverviewOpensModelDetail(t *testing.T) {
	s := openCommand(t, 80, 24, "overview", "auc 0.82/0.92")
	s.keys("down", "enter") // churn, fraud, ...: rows are by name
	s.waitFor("Overview › fraud", "production v7")
}

// The drift tab ranks features by attribution change, shown beside the
// drift score: amount, whose contributions grew most, first.
func TestDriftTabRanksByAttribution(t *testing.T) {
	eachSize(t, func(t *testing.T, w, h int) {
		s := openCommand(t, w, h, "model fraud", "production v7", "data at 12:00:00")
		s.keys("2")
		s.waitFor("ATTR CHG", "+0.21", "open window", "top bar")
		screen := s.screen()
		checkGolden(t, screen, w, h)
		rows := featureRows(screen, "merchant_cate", "amount", "hour") // merchant_category is cut at 80 columns
		require.Len(t, rows, 3)
		assert.Equal(t, []string{"amount", "merchant_cate", "hour"}, []string{rows[0].name, rows[1].name, rows[2].name})
		assert.Contains(t, rows[0].line, "+0.21")
		assert.Contains(t, rows[1].line, "+0.05")
		assert.Contains(t, rows[2].line, "-0.01")
	})
}

// e on the drift tab opens the Record view: the newest explained record
// of the selected row's version, inputs beside contributions, largest
// first; n steps to an older one.
func TestRecordView(t *testing.T) {
	eachSize(t, func(t *testing.T, w, h int) {
		s := openCommand(t, w, h, "model fraud", "production v7", "data at 12:00:00")
		s.keys("2")
		s.waitFor("ATTR CHG")
		s.keys("e")
		s.waitFor("Record fraud", "request w-299", "contributions sum")
		screen := s.screen()
		checkGolden(t, screen, w, h)
		rows := featureRows(screen, "merchant_category", "amount", "hour")
		require.Len(t, rows, 3)
		assert.Equal(t, []string{"amount", "merchant_category", "hour"}, []string{rows[0].name, rows[1].name, rows[2].name},
			"largest |contribution| first")
		assert.Contains(t, rows[0].line, "+0.33")
		assert.Contains(t, rows[1].line, "-0.12")
	})
	t.Run("older", func(t *testing.T) {
		s := openCommand(t, 80, 24, "record fraud v7", "request w-299")
		s.keys("n")
		s.waitFor("request w-199", "+0.32")
		s.keys("N")
		s.waitFor("request w-299")
		assert.Contains(t, s.screen(), "request w-299", "N is back to the newest")
	})
	t.Run("serving by default, s the shadow's", func(t *testing.T) {
		// The seed logged fraud's serving v7 only: the shadow's sample is
		// asked for (role shadow) and found missing, then s comes back.
		s := openCommand(t, 80, 24, "record fraud", "fraud v7 · serving (production)", "s the shadow's")
		s.keys("s")
		s.waitFor("Record · fraud shadow", "no record of fraud (role shadow)")
		s.keys("s")
		s.waitFor("fraud v7 · serving (production)", "request w-299")
	})
	t.Run("model without records", func(t *testing.T) {
		s := openCommand(t, 80, 24, "record churn", "no record of churn")
		assert.Contains(t, s.screen(), "no record of churn")
	})
}
