package slo

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// Severity is the routing class of a multiwindow multi-burn-rate alert.
type Severity string

// The two severities of the Google SRE Workbook: a page wakes someone up, a
// ticket can wait for working hours.
const (
	SeverityPage   Severity = "page"
	SeverityTicket Severity = "ticket"
)

// BurnWindow is one long/short window pair of a multiwindow alert. The alert
// condition holds when the error ratio over both windows exceeds
// BurnRate × error budget; the long window gives significance, the short one
// lets the alert reset soon after the errors stop.
type BurnWindow struct {
	Severity Severity
	// BudgetPercent is the share of the whole period's error budget that burning
	// at BurnRate for the Long window consumes.
	BudgetPercent float64
	Short, Long   time.Duration
}

// BurnRate is the speed, relative to spending the budget evenly over period,
// at which BudgetPercent of the budget is gone after the long window.
func (w BurnWindow) BurnRate(period time.Duration) float64 {
	return BurnRateFor(period, w.BudgetPercent, w.Long)
}

// BurnRateFor is the burn rate that consumes budgetPercent of the error budget
// of period within window. Computed the way Sloth does (hours, then divide), so
// the printed factors are bit-identical to Sloth's.
func BurnRateFor(period time.Duration, budgetPercent float64, window time.Duration) float64 {
	hoursToConsume := budgetPercent * period.Hours() / 100
	return hoursToConsume / window.Hours()
}

// BudgetConsumed is the percentage of the period's error budget spent by
// burning at rate for d.
func BudgetConsumed(period time.Duration, rate float64, d time.Duration) float64 {
	return 100 * rate * d.Hours() / period.Hours()
}

// TimeToExhaustion is how long a constant burn rate takes to spend the whole
// budget of period (Workbook table 5-4: 1 → 30 days, 1000 → 43 minutes).
func TimeToExhaustion(period time.Duration, rate float64) time.Duration {
	return time.Duration(float64(period) / rate)
}

// DetectionTime is how long errors at errorRatio (0..1] take to push the
// long-window ratio over the alert threshold, assuming a clean window before:
// ((1−SLO)/error ratio) × long window × burn rate, as in the Workbook. It
// returns -1 when errorRatio never reaches the threshold.
func (w BurnWindow) DetectionTime(period time.Duration, objectiveRatio, errorRatio float64) time.Duration {
	threshold := w.BurnRate(period) * (1 - objectiveRatio)
	if errorRatio <= threshold {
		return -1
	}
	return time.Duration(threshold / errorRatio * float64(w.Long))
}

// ResetTime is how long after errors at errorRatio stop (following a burst at
// least as long as the window) the alert keeps firing: the ratio over a window
// stays above the threshold until the clean part covers 1 − threshold/errorRatio
// of it. With the short window in the condition this is bounded by Short
// instead of Long, which is why the Workbook adds it.
func (w BurnWindow) ResetTime(period time.Duration, objectiveRatio, errorRatio float64, window time.Duration) time.Duration {
	threshold := w.BurnRate(period) * (1 - objectiveRatio)
	if errorRatio <= threshold {
		return 0
	}
	return time.Duration((1 - threshold/errorRatio) * float64(window))
}

// AlertWindows is the four-window matrix of a multiwindow multi-burn-rate
// alert set: a fast and a slow condition for each severity.
type AlertWindows struct {
	Period      time.Duration
	PageQuick   BurnWindow
	PageSlow    BurnWindow
	TicketQuick BurnWindow
	TicketSlow  BurnWindow
}

// WorkbookWindows returns the windows the SRE Workbook recommends (and Sloth
// ships for 30d and 28d periods): page on 2% of the budget in 1h or 5% in 6h,
// ticket on 10% in 1d or 10% in 3d.
func WorkbookWindows(period time.Duration) (AlertWindows, error) {
	if period != 30*24*time.Hour && period != 28*24*time.Hour {
		return AlertWindows{}, fmt.Errorf("SLO period %s is not supported: use 30d or 28d", formatDuration(period))
	}
	return AlertWindows{
		Period:      period,
		PageQuick:   BurnWindow{Severity: SeverityPage, BudgetPercent: 2, Short: 5 * time.Minute, Long: time.Hour},
		PageSlow:    BurnWindow{Severity: SeverityPage, BudgetPercent: 5, Short: 30 * time.Minute, Long: 6 * time.Hour},
		TicketQuick: BurnWindow{Severity: SeverityTicket, BudgetPercent: 10, Short: 2 * time.Hour, Long: 24 * time.Hour},
		TicketSlow:  BurnWindow{Severity: SeverityTicket, BudgetPercent: 10, Short: 6 * time.Hour, Long: 3 * 24 * time.Hour},
	}, nil
}

// SLIWindows lists the distinct windows the alerts need an SLI error-ratio
// recording rule for, shortest first (Sloth's order).
func (a AlertWindows) SLIWindows() []time.Duration {
	all := []time.Duration{
		a.PageQuick.Short, a.PageQuick.Long,
		a.PageSlow.Short, a.PageSlow.Long,
		a.TicketQuick.Short, a.TicketQuick.Long,
		a.TicketSlow.Short, a.TicketSlow.Long,
	}
	seen := make(map[time.Duration]bool, len(all))
	out := make([]time.Duration, 0, len(all))
	for _, d := range all {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

// alertWindowsDoc is Sloth's AlertWindows document (sloth.slok.dev/v1,
// the files of `sloth generate --slo-period-windows-path`).
type alertWindowsDoc struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Spec       struct {
		SLOPeriod string `yaml:"sloPeriod"`
		Page      struct {
			Quick burnWindowDoc `yaml:"quick"`
			Slow  burnWindowDoc `yaml:"slow"`
		} `yaml:"page"`
		Ticket struct {
			Quick burnWindowDoc `yaml:"quick"`
			Slow  burnWindowDoc `yaml:"slow"`
		} `yaml:"ticket"`
	} `yaml:"spec"`
}

type burnWindowDoc struct {
	ErrorBudgetPercent float64 `yaml:"errorBudgetPercent"`
	ShortWindow        string  `yaml:"shortWindow"`
	LongWindow         string  `yaml:"longWindow"`
}

// ParseAlertWindows reads Sloth's AlertWindows document (apiVersion
// sloth.slok.dev/v1, kind AlertWindows): an SLO period with its own page and
// ticket window pairs, for periods other than 30d/28d or for windows scaled
// to a test or demo. Unknown keys are errors; every window must be positive
// and each short window shorter than its long one.
func ParseAlertWindows(data []byte) (AlertWindows, error) {
	var doc alertWindowsDoc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return AlertWindows{}, fmt.Errorf("alert windows: %w", err)
	}
	if doc.APIVersion != "sloth.slok.dev/v1" || doc.Kind != "AlertWindows" {
		return AlertWindows{}, fmt.Errorf("alert windows: want apiVersion sloth.slok.dev/v1 and kind AlertWindows, got %q and %q", doc.APIVersion, doc.Kind)
	}
	period, err := model.ParseDuration(doc.Spec.SLOPeriod)
	if err != nil || period <= 0 {
		return AlertWindows{}, fmt.Errorf("alert windows: spec.sloPeriod %q is not a positive duration", doc.Spec.SLOPeriod)
	}
	w := AlertWindows{Period: time.Duration(period)}
	for _, x := range []struct {
		field string
		doc   burnWindowDoc
		sev   Severity
		dst   *BurnWindow
	}{
		{"page.quick", doc.Spec.Page.Quick, SeverityPage, &w.PageQuick},
		{"page.slow", doc.Spec.Page.Slow, SeverityPage, &w.PageSlow},
		{"ticket.quick", doc.Spec.Ticket.Quick, SeverityTicket, &w.TicketQuick},
		{"ticket.slow", doc.Spec.Ticket.Slow, SeverityTicket, &w.TicketSlow},
	} {
		short, err := model.ParseDuration(x.doc.ShortWindow)
		if err != nil || short <= 0 {
			return AlertWindows{}, fmt.Errorf("alert windows: spec.%s.shortWindow %q is not a positive duration", x.field, x.doc.ShortWindow)
		}
		long, err := model.ParseDuration(x.doc.LongWindow)
		if err != nil || long <= short {
			return AlertWindows{}, fmt.Errorf("alert windows: spec.%s.longWindow %q must be a duration longer than the short window", x.field, x.doc.LongWindow)
		}
		if time.Duration(long) > w.Period {
			return AlertWindows{}, fmt.Errorf("alert windows: spec.%s.longWindow %s is longer than the SLO period %s", x.field, long, period)
		}
		if x.doc.ErrorBudgetPercent <= 0 || x.doc.ErrorBudgetPercent > 100 {
			return AlertWindows{}, fmt.Errorf("alert windows: spec.%s.errorBudgetPercent must be in (0, 100], got %g", x.field, x.doc.ErrorBudgetPercent)
		}
		*x.dst = BurnWindow{Severity: x.sev, BudgetPercent: x.doc.ErrorBudgetPercent, Short: time.Duration(short), Long: time.Duration(long)}
	}
	return w, nil
}
