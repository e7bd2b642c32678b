package shadow

import (
	"math"
	"strconv"
	"time"
)

// Num is a float64 that encodes NaN and ±Inf as JSON null (a figure that
// cannot be computed) and decodes null back to NaN.
type Num float64

// MarshalJSON implements json.Marshaler.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Num(math.NaN())
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*n = Num(f)
	return nil
}

// Sources of a report.
const (
	SourceLogged = "logged"
	SourceReplay = "replay"
	SourceLive   = "live"
)

// Report is GET /api/v1/shadow/{model}/report's data and `mlectl shadow
// report`'s JSON.
type Report struct {
	Model             string    `json:"model"`
	ProductionVersion string    `json:"production_version"`
	CandidateVersion  string    `json:"candidate_version"`
	Source            string    `json:"source"`
	From              time.Time `json:"from"`
	To                time.Time `json:"to"`
	Pairs             int       `json:"pairs"`
	Task              Task      `json:"task"`
	Threshold         Num       `json:"threshold"`
	// Tolerance is the regressors' agreement tolerance (absolute).
	Tolerance        Num            `json:"tolerance,omitempty"`
	Agreement        Num            `json:"agreement"`
	MeanAbsDiff      Num            `json:"mean_abs_diff"`
	P99AbsDiff       Num            `json:"p99_abs_diff"`
	Spearman         Num            `json:"spearman"`
	PSI              Num            `json:"psi"`
	Quality          *ReportQuality `json:"quality,omitempty"`
	RowsPerSecond    Num            `json:"rows_per_second,omitempty"`
	TopDisagreements []Disagreement `json:"top_disagreements"`
	// Unpaired counts records of either side that found no partner
	// (logged), Skipped pairs or records that could not be compared
	// (non-numeric prediction, non-finite score).
	Unpaired int  `json:"unpaired,omitempty"`
	Skipped  int  `json:"skipped,omitempty"`
	Sampled  bool `json:"sampled,omitempty"`
}

// ReportQuality is each side's quality on the labelled pairs.
type ReportQuality struct {
	Production Quality `json:"production"`
	Candidate  Quality `json:"candidate"`
}

// Fill copies the figures of s into r.
func (r *Report) Fill(s Stats) {
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
