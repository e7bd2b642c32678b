package shadow

import (
	"context"
	"fmt"
	"time"

	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/store"
)

// Scanner reads the prediction log (predlog/store.Store implements it).
type Scanner interface {
	Scan(ctx context.Context, q store.Query, fn func(*predlog.Record) error) error
}

// Labels looks up the ground truth of a request (predlog/api.Handler's
// Label reads the labels POST /api/v1/feedback stored).
type Labels interface {
	Label(ctx context.Context, requestID string) (predlog.Value, bool, error)
}

// DefaultMaxPending bounds the records waiting for their partner while
// logged traffic is paired.
const DefaultMaxPending = 1 << 18

// LoggedQuery selects the logged traffic to pair.
type LoggedQuery struct {
	Model string
	// ProductionVersion "" pairs production records of any version;
	// CandidateVersion "" takes the first shadow or canary version met.
	ProductionVersion, CandidateVersion string
	// From inclusive, To exclusive; zero leaves that side open.
	From, To time.Time
	// MaxPending bounds unpaired records held at once (default
	// DefaultMaxPending); the oldest is given up first.
	MaxPending int
}

// LoggedInfo says what pairing found.
type LoggedInfo struct {
	// ProductionVersion is the production version seen most often;
	// CandidateVersion the candidate paired with.
	ProductionVersion, CandidateVersion string
	// Records of each side read, pairs formed, records left without a
	// partner (at the end or given up when MaxPending was reached), and
	// records whose prediction is not a number.
	Production, Candidate, Paired, Unpaired, NonNumeric int
	// Labelled pairs got a label from Labels.
	Labelled int
}

type pendingSide struct {
	candidate bool
	version   string // set by live pairing only
	injected  bool
	ts        int64
	score     float64
}

// numericPrediction is a record's prediction as a score, if it is one.
func numericPrediction(r *predlog.Record) (float64, bool) {
	switch r.Prediction.Kind {
	case predlog.KindNumber, predlog.KindBool:
		return r.Prediction.Num, true
	}
	return 0, false
}

// PairLogged reads the production and shadow/canary records of q.Model in
// time order and hands each pair with the same request id to add, with its
// label when labels (may be nil) has one. Pairs are formed in one pass; at
// most q.MaxPending records wait for their partner (about 150 bytes each
// with its request id: 40 MiB at the default), and the record key FIFO that
// orders their eviction holds at most twice that many keys. Records
// without a request id, with status error or a non-numeric prediction are
// not paired. Labels of pairs in which a record was injected by a game day
// are not joined.
func PairLogged(ctx context.Context, log Scanner, labels Labels, q LoggedQuery, add func(Pair)) (LoggedInfo, error) {
	if q.MaxPending <= 0 {
		q.MaxPending = DefaultMaxPending
	}
	var info LoggedInfo
	info.CandidateVersion = q.CandidateVersion
	pr := newPairer(q.MaxPending)
	prodVersions := map[string]int{}
	err := log.Scan(ctx, store.Query{Model: q.Model, From: q.From, To: q.To}, func(r *predlog.Record) error {
		var candidate bool
		switch r.Role {
		case predlog.RoleProduction:
			if q.ProductionVersion != "" && r.Version != q.ProductionVersion {
				return nil
			}
		case predlog.RoleShadow, predlog.RoleCanary:
			if info.CandidateVersion == "" {
				info.CandidateVersion = r.Version
			}
			if r.Version != info.CandidateVersion {
				return nil
			}
			candidate = true
		default:
			return nil
		}
		if r.Status != predlog.StatusOK || r.RequestID == "" {
			return nil
		}
		score, ok := numericPrediction(r)
		if !ok {
			info.NonNumeric++
			return nil
		}
		if candidate {
			info.Candidate++
		} else {
			info.Production++
			prodVersions[r.Version]++
		}
		side := pendingSide{candidate: candidate, injected: r.Injected, ts: r.TS, score: score}
		other, ok := pr.offer(r.RequestID, side)
		if !ok {
			return nil
		}
		p := makePair(r.RequestID, side, other)
		if labels != nil && !r.Injected && !other.injected {
			v, ok, err := labels.Label(ctx, r.RequestID)
			if err != nil {
				return fmt.Errorf("label of request %s: %w", r.RequestID, err)
			}
			if ok && (v.Kind == predlog.KindNumber || v.Kind == predlog.KindBool) {
				p.Label, p.Labelled = v.Num, true
				info.Labelled++
			}
		}
		info.Paired++
		add(p)
		return nil
	})
	if err != nil {
		return info, fmt.Errorf("reading the prediction log of %s: %w", q.Model, err)
	}
	info.Unpaired = pr.unpaired + len(pr.pending)
	best := 0
	for v, n := range prodVersions {
		if n > best || (n == best && v < info.ProductionVersion) {
			info.ProductionVersion, best = v, n
		}
	}
	if info.ProductionVersion == "" {
		info.ProductionVersion = q.ProductionVersion
	}
	return info, nil
}

// pairer pairs the two sides of a request id with at most max records
// waiting; when full, the oldest waiting record is given up. Its FIFO of
// keys holds at most 2*max+1 keys (keys already paired are dropped when it
// is compacted).
type pairer struct {
	max      int
	pending  map[string]pendingSide
	fifo     []string
	head     int
	unpaired int
}

func newPairer(max int) *pairer {
	return &pairer{max: max, pending: make(map[string]pendingSide, min(max, 1<<12))}
}

// offer records one side of request id; when the other side waits, it is
// removed and returned.
func (p *pairer) offer(id string, side pendingSide) (pendingSide, bool) {
	other, dup := p.pending[id]
	if dup && other.candidate != side.candidate {
		delete(p.pending, id)
		return other, true
	}
	if !dup {
		for len(p.pending) >= p.max && p.head < len(p.fifo) {
			k := p.fifo[p.head]
			p.fifo[p.head] = ""
			p.head++
			if _, ok := p.pending[k]; ok {
				delete(p.pending, k)
				p.unpaired++
			}
		}
	}
	p.pending[id] = side
	if !dup {
		p.fifo = append(p.fifo, id)
		if p.head > p.max || len(p.fifo)-p.head > 2*p.max {
			live := p.fifo[:0]
			for _, k := range p.fifo[p.head:] {
				if _, ok := p.pending[k]; ok {
					live = append(live, k)
				}
			}
			clear(p.fifo[len(live):])
			p.fifo, p.head = live, 0
		}
	}
	return pendingSide{}, false
}

// makePair orders two sides of one request into a Pair.
func makePair(id string, a, b pendingSide) Pair {
	if a.candidate {
		a, b = b, a
	}
	return Pair{RequestID: id, TS: min(a.ts, b.ts), Production: a.score, Candidate: b.score}
}
