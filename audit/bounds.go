package audit

import (
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"
)

// Field bounds: an entry stays well under a few KiB whatever the caller sent.
const (
	MaxPathBytes   = 256
	MaxDetailBytes = 2048
	maxShortBytes  = 128 // actor, role, method, source
)

// RepeatWindow is how long refusals like a stored one are counted instead
// of stored; maxRepeatGroups bounds the groups kept in memory (when full,
// all are summarised at once).
const (
	RepeatWindow    = time.Minute
	maxRepeatGroups = 1024
)

// bound cuts e's caller-controlled fields to their limits, on a UTF-8
// boundary, marking the cut with "…".
func bound(e Entry) Entry {
	e.Path = cut(e.Path, MaxPathBytes)
	e.Detail = cut(e.Detail, MaxDetailBytes)
	e.Actor = cut(e.Actor, maxShortBytes)
	e.Role = cut(e.Role, maxShortBytes)
	e.Method = cut(e.Method, maxShortBytes)
	e.Source = cut(e.Source, maxShortBytes)
	return e
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	i := n - len(mark)
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + mark
}

func isRefusal(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusTooManyRequests
}

// refusalKey is what makes two refusals "the same"; the path is left out,
// so varying it does not defeat the counter.
type refusalKey struct {
	actor, role, method, source, detail string
	status                              int
}

func keyOf(e Entry) refusalKey {
	return refusalKey{actor: e.Actor, role: e.Role, method: e.Method, source: e.Source, detail: e.Detail, status: e.Status}
}

type refusalGroup struct {
	first Entry // as stored
	last  Entry // the latest repeat (not stored)
	count uint64
}

// flushRepeats appends a summary for every group whose window is over (all
// of them with all); l.mu is held.
func (l *Log) flushRepeats(all bool) error {
	now := l.now()
	for k, g := range l.repeats {
		if !all && now.Sub(g.first.Time) < RepeatWindow {
			continue
		}
		delete(l.repeats, k)
		if g.count == 0 {
			continue
		}
		s := g.last
		s.Seq, s.PrevHash, s.Hash = 0, "", ""
		s.Repeats = g.count
		s.Detail = cut(fmt.Sprintf("%d more like entry %d since %s (last path here): %s",
			g.count, g.first.Seq, g.first.Time.Format(time.RFC3339), g.first.Detail), MaxDetailBytes)
		if _, err := l.append(s); err != nil {
			return err
		}
	}
	return nil
}
