package alerting

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/mlectl/mlectl/api"
)

// Silence suppresses notifications for the alerts its matchers select
// between StartsAt and EndsAt. Evaluation, ALERTS series and events go on.
type Silence struct {
	ID        string    `json:"id"`
	Matchers  string    `json:"matchers"`
	StartsAt  time.Time `json:"startsAt"`
	EndsAt    time.Time `json:"endsAt"`
	CreatedBy string    `json:"createdBy"`
	Comment   string    `json:"comment"`
	// Model is set on silences created for a deploy.
	Model string `json:"model,omitempty"`
	// Status is "active", "pending" or "expired" at the time of the answer.
	Status string `json:"status,omitempty"`

	matchers []*labels.Matcher
}

// Ack records that a responder has taken an alert (api.Ack).
type Ack = api.Ack

// ErrNotFound is returned for an unknown silence or alert id.
var ErrNotFound = errors.New("not found")

// maxSilenceDuration bounds a silence so that a typo (1000h) cannot mute an
// alert for months.
const maxSilenceDuration = 90 * 24 * time.Hour

// silences holds silences and acks, persisted as one JSON file in a state
// directory so that they survive a restart ("" keeps them in memory).
type silences struct {
	mu       sync.Mutex
	path     string
	silences map[string]*Silence
	acks     map[string]Ack
	parser   parser.Parser
}

type silenceState struct {
	Silences []*Silence `json:"silences"`
	Acks     []Ack      `json:"acks"`
}

func openSilences(dir string, p parser.Parser) (*silences, error) {
	s := &silences{silences: map[string]*Silence{}, acks: map[string]Ack{}, parser: p}
	if dir == "" {
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("alerting state directory: %w", err)
	}
	s.path = filepath.Join(dir, "silences.json")
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading silences: %w", err)
	}
	var st silenceState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("silences file %s is corrupt: %w", s.path, err)
	}
	for _, sil := range st.Silences {
		ms, err := parseMatchers(p, sil.Matchers)
		if err != nil {
			return nil, fmt.Errorf("silences file %s: silence %s: %w", s.path, sil.ID, err)
		}
		sil.matchers = ms
		s.silences[sil.ID] = sil
	}
	for _, a := range st.Acks {
		s.acks[a.AlertID] = a
	}
	return s, nil
}

// parseMatchers parses `alertname="X", model=~"a|b"` (braces optional).
func parseMatchers(p parser.Parser, in string) ([]*labels.Matcher, error) {
	t := strings.TrimSpace(in)
	if t == "" {
		return nil, fmt.Errorf("matchers are empty: give at least one, e.g. alertname=\"X\"")
	}
	if !strings.HasPrefix(t, "{") {
		t = "{" + t + "}"
	}
	ms, err := p.ParseMetricSelector(t)
	if err != nil {
		return nil, fmt.Errorf("matchers %q: %w", in, err)
	}
	for _, m := range ms {
		if !m.Matches("") {
			return ms, nil
		}
	}
	return nil, fmt.Errorf("matchers %q match every alert: at least one must need a non-empty label value", in)
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// saveLocked writes the state atomically (write + rename).
func (s *silences) saveLocked() error {
	if s.path == "" {
		return nil
	}
	st := silenceState{Silences: make([]*Silence, 0, len(s.silences)), Acks: make([]Ack, 0, len(s.acks))}
	for _, sil := range s.silences {
		st.Silences = append(st.Silences, sil)
	}
	for _, a := range s.acks {
		st.Acks = append(st.Acks, a)
	}
	slices.SortFunc(st.Silences, func(a, b *Silence) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(st.Acks, func(a, b Ack) int { return strings.Compare(a.AlertID, b.AlertID) })
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("saving silences: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("saving silences: %w", err)
	}
	return nil
}

func (s *silences) add(sil Silence) (Silence, error) {
	ms, err := parseMatchers(s.parser, sil.Matchers)
	if err != nil {
		return Silence{}, err
	}
	if !sil.EndsAt.After(sil.StartsAt) {
		return Silence{}, fmt.Errorf("silence endsAt %s is not after startsAt %s", sil.EndsAt.Format(time.RFC3339), sil.StartsAt.Format(time.RFC3339))
	}
	if sil.EndsAt.Sub(sil.StartsAt) > maxSilenceDuration {
		return Silence{}, fmt.Errorf("silence duration %s exceeds the maximum of %s", sil.EndsAt.Sub(sil.StartsAt), maxSilenceDuration)
	}
	sil.ID = newID()
	sil.matchers = ms
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silences[sil.ID] = &sil
	if err := s.saveLocked(); err != nil {
		delete(s.silences, sil.ID)
		return Silence{}, err
	}
	return sil, nil
}

// expire ends a silence now; expired silences are kept for the listing
// until gc drops them.
func (s *silences) expire(id string, now time.Time) (Silence, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sil, ok := s.silences[id]
	if !ok {
		return Silence{}, fmt.Errorf("silence %q: %w", id, ErrNotFound)
	}
	old := *sil
	if sil.EndsAt.After(now) {
		sil.EndsAt = now
		if sil.StartsAt.After(now) {
			sil.StartsAt = now
		}
	}
	if err := s.saveLocked(); err != nil {
		*sil = old
		return Silence{}, err
	}
	return *sil, nil
}

func statusAt(sil *Silence, now time.Time) string {
	switch {
	case !now.Before(sil.EndsAt):
		return "expired"
	case now.Before(sil.StartsAt):
		return "pending"
	}
	return "active"
}

// list returns all silences with their status at now, newest first.
func (s *silences) list(now time.Time) []Silence {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Silence, 0, len(s.silences))
	for _, sil := range s.silences {
		c := *sil
		c.Status = statusAt(sil, now)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Silence) int { return b.StartsAt.Compare(a.StartsAt) })
	return out
}

// silencedBy returns the ids of the silences active at now that match lset.
func (s *silences) silencedBy(lset labels.Labels, now time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, sil := range s.silences {
		if statusAt(sil, now) != "active" {
			continue
		}
		if matchAll(sil.matchers, lset) {
			ids = append(ids, sil.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func matchAll(ms []*labels.Matcher, lset labels.Labels) bool {
	for _, m := range ms {
		if !m.Matches(lset.Get(m.Name)) {
			return false
		}
	}
	return true
}

// gc drops silences that expired more than retention ago.
func (s *silences) gc(now time.Time, retention time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for id, sil := range s.silences {
		if now.Sub(sil.EndsAt) > retention {
			delete(s.silences, id)
			changed = true
		}
	}
	if changed {
		_ = s.saveLocked()
	}
}

func (s *silences) ack(a Ack) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acks[a.AlertID] = a
	return s.saveLocked()
}

func (s *silences) ackFor(id string) (Ack, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.acks[id]
	return a, ok
}

// clearAck forgets the ack of a resolved alert.
func (s *silences) clearAck(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.acks[id]; ok {
		delete(s.acks, id)
		_ = s.saveLocked()
	}
}

// retainAcks drops the acks of alerts not in active.
func (s *silences) retainAcks(active map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for id := range s.acks {
		if !active[id] {
			delete(s.acks, id)
			changed = true
		}
	}
	if changed {
		_ = s.saveLocked()
	}
}
