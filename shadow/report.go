package shadow

import (
	"github.com/mlectl/mlectl/api"
)

// Num is a float64 that encodes NaN and ±Inf as JSON null (api.Num).
type Num = api.Num

// Sources of a report.
const (
	SourceLogged = api.ShadowSourceLogged
	SourceReplay = api.ShadowSourceReplay
	SourceLive   = api.ShadowSourceLive
)

// Report is GET /api/v1/shadow/{model}/report's data and `mlectl shadow
// report`'s JSON (api.ShadowReport).
type Report = api.ShadowReport

// ReportQuality is each side's quality on the labelled pairs.
type ReportQuality = api.ShadowQualities

// Fill copies the figures of s into r.
func Fill(r *Report, s Stats) {
	r.Pairs, r.Task = s.Pairs, s.Task
	r.Threshold = Num(s.Threshold)
	if s.Task == TaskRegression {
		r.Tolerance = Num(s.Tolerance)
	}
	r.Agreement, r.MeanAbsDiff, r.P99AbsDiff = Num(s.Agreement), Num(s.MeanAbsDiff), Num(s.P99AbsDiff)
	r.Spearman, r.PSI = Num(s.Spearman), Num(s.PSI)
	r.Skipped += s.Skipped
	r.Sampled = s.Sampled
	r.Quality = nil
	if s.Production != nil && s.Candidate != nil {
		r.Quality = &ReportQuality{Production: *s.Production, Candidate: *s.Candidate}
	}
	r.TopDisagreements = s.Top
	if len(r.TopDisagreements) > MaxTopDisagreements {
		r.TopDisagreements = r.TopDisagreements[:MaxTopDisagreements]
	}
	if r.TopDisagreements == nil {
		r.TopDisagreements = []Disagreement{}
	}
}
