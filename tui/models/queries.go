package models

import "time"

// The PromQL the view derives its rows from. Shadow traffic mirrors
// production requests, so rates and error shares count non-shadow series
// only; shadow versions are still listed.
const (
	// QueryPredRate yields predictions/s per model, version and role.
	QueryPredRate = `sum by (model, version, role) (rate(mle_predictions_total[5m]))`
	// QueryErrRate yields failed predictions/s per model.
	QueryErrRate = `sum by (model) (rate(mle_predictions_total{role!="shadow",status="error"}[5m]))`
	// QueryP95 yields the 95th percentile inference latency per model.
	QueryP95 = `histogram_quantile(0.95, sum by (model, le) (rate(mle_inference_latency_seconds_bucket{role!="shadow"}[5m])))`
	// QueryTrend yields the non-shadow prediction rate per model, fetched
	// as a range for the trend sparkline.
	QueryTrend = `sum by (model) (rate(mle_predictions_total{role!="shadow"}[5m]))`
	// QuerySLIBurns yields the error-budget burn rate of every SLO over
	// each window its Sloth-style recording rules (what `mlectl slo`
	// generates) record: the window's SLI error ratio over the SLO's error
	// budget, one series per SLO and sloth_window. BURN takes the SLO's
	// hour from them (see HourWindow).
	QuerySLIBurns = `max by (model, sloth_service, sloth_id, sloth_window) ` +
		`({__name__=~"slo:sli_error:ratio_rate.+"} / ignoring (sloth_window) group_left slo:error_budget:ratio)`
	// QuerySLOPeriod yields each SLO's period in days (Sloth's
	// slo:time_period:days): the clock its windows are scaled to.
	QuerySLOPeriod = `max by (model, sloth_service, sloth_id) (slo:time_period:days)`
	// QueryBudget yields the error budget left in the SLO period.
	QueryBudget = `min by (model, sloth_service) (slo:period_error_budget_remaining:ratio)`
	// QueryBudgetWarm yields the SLOs whose period budget was already
	// recorded PeriodWarmUp ago: the others rest on a handful of short
	// windows (a collector that just started), too few to judge a period.
	QueryBudgetWarm = `min by (model, sloth_service) (slo:period_error_budget_remaining:ratio offset 10m)`
	// QueryDrift yields the worst dataset drift share per model.
	QueryDrift = `max by (model) (mle_dataset_drift_share)`
)

// DrillQuery is the expression the Query view opens with for one model.
func DrillQuery(model string) string {
	return `sum by (version, role, status) (rate(mle_predictions_total{model="` + escape(model) + `"}[5m]))`
}

func escape(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// HourWindow is the window BURN reads an SLO's burn rate over: the hour
// of its period's clock, period/720 (1h of the Workbook's 30 days; 5m of
// the demo's 60 h, whose alert windows are scaled ÷12). It is the long
// window of the page alert's quick condition, and it holds enough
// requests to be a rate: the shortest window (the
// demo's 30 s, Sloth's current burn rate) holds a few budgeted errors at
// the demo's traffic, so one error more or less swung BURN between 0x
// and 1.6x. Without a known period the hour is 1h.
func HourWindow(period time.Duration) time.Duration {
	if period <= 0 {
		return time.Hour
	}
	return period / 720
}

// PeriodWarmUp is how long an SLO's period budget must have been recorded
// before the view judges the period by it (OUT, BUDGET): 20 of the demo's
// 30-s windows, two of the Workbook's 5-m ones. It is the offset of
// QueryBudgetWarm.
const PeriodWarmUp = 10 * time.Minute

// TrendWindow and TrendStep shape the sparkline: one character per step.
const (
	TrendWindow = time.Hour
	TrendStep   = 5 * time.Minute
)

// Burn-rate thresholds for the SLO column: 14.4 is the fast-burn page
// threshold of the multiwindow alerts `mlectl slo` generates (2% of a 30d
// budget in 1h); 1 spends the budget exactly over the period.
const (
	PageBurnRate = 14.4
	SlowBurnRate = 1
)
