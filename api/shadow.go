package api

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
	ShadowSourceLogged = "logged"
	ShadowSourceReplay = "replay"
	ShadowSourceLive   = "live"
)

// ShadowReport is GET /api/v1/shadow/{model}/report's data and `mlectl shadow
// report`'s JSON.
type ShadowReport struct {
	Model             string     `json:"model"`
	ProductionVersion string     `json:"production_version"`
	CandidateVersion  string     `json:"candidate_version"`
	Source            string     `json:"source"`
	From              time.Time  `json:"from"`
	To                time.Time  `json:"to"`
	Pairs             int        `json:"pairs"`
	Task              ShadowTask `json:"task"`
	Threshold         Num        `json:"threshold"`
	// Tolerance is the regressors' agreement tolerance (absolute).
	Tolerance     Num              `json:"tolerance,omitempty"`
	Agreement     Num              `json:"agreement"`
	MeanAbsDiff   Num              `json:"mean_abs_diff"`
	P99AbsDiff    Num              `json:"p99_abs_diff"`
	Spearman      Num              `json:"spearman"`
	PSI           Num              `json:"psi"`
	Quality       *ShadowQualities `json:"quality,omitempty"`
	RowsPerSecond Num              `json:"rows_per_second,omitempty"`
	// Backend names the scoring backend and device of a replay run here
	// (mlectl shadow replay --backend), e.g. "opencl on Portable Computing
	// Language: pthread-…".
	Backend          string         `json:"backend,omitempty"`
	TopDisagreements []Disagreement `json:"top_disagreements"`
	// Unpaired counts records of either side that found no partner
	// (logged), Skipped pairs or records that could not be compared
	// (non-numeric prediction, non-finite score).
	Unpaired int  `json:"unpaired,omitempty"`
	Skipped  int  `json:"skipped,omitempty"`
	Sampled  bool `json:"sampled,omitempty"`
}

// ShadowQualities is each side's quality on the labelled pairs.
type ShadowQualities struct {
	Production ShadowQuality `json:"production"`
	Candidate  ShadowQuality `json:"candidate"`
}

// ShadowTask says how scores are compared.
type ShadowTask string

// Tasks. TaskAuto detects: classification when every score of both sides
// lies in [0, 1] and every label (if any) is 0 or 1, regression otherwise.
const (
	ShadowTaskAuto           ShadowTask = ""
	ShadowTaskClassification ShadowTask = "classification"
	ShadowTaskRegression     ShadowTask = "regression"
)

// Disagreement is one of the most disagreeing pairs.
type Disagreement struct {
	RequestID  string    `json:"request_id"`
	TS         time.Time `json:"ts"`
	Production Num       `json:"production"`
	Candidate  Num       `json:"candidate"`
	AbsDiff    Num       `json:"abs_diff"`
}

// ShadowQuality is one side's quality on the labelled pairs.
type ShadowQuality struct {
	Metric   string `json:"metric"` // auc or rmse
	Value    Num    `json:"value"`
	Labelled int    `json:"labelled"`
}
