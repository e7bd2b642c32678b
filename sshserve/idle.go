package sshserve

import (
	"context"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// idleWatch ends a console nobody typed into for a while. The connection's
// own idle timeout cannot: the console's refreshes write to it every few
// seconds, so only input counts here.
type idleWatch struct {
	timeout time.Duration
	last    atomic.Int64 // unix nanoseconds of the last input
}

func newIdleWatch(timeout time.Duration) *idleWatch {
	w := &idleWatch{timeout: timeout}
	w.last.Store(time.Now().UnixNano())
	return w
}

// filter is a tea.WithFilter: it notes each key press, mouse event and
// paste, and passes every message on unchanged.
func (w *idleWatch) filter(_ tea.Model, msg tea.Msg) tea.Msg {
	switch msg.(type) {
	case tea.KeyMsg, tea.MouseMsg:
		w.last.Store(time.Now().UnixNano())
	}
	return msg
}

// watch calls expire once the console has been idle for the timeout, or
// returns when ctx ends.
func (w *idleWatch) watch(ctx context.Context, expire func()) {
	for {
		idleFor := time.Since(time.Unix(0, w.last.Load()))
		t := time.NewTimer(w.timeout - idleFor)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if time.Since(time.Unix(0, w.last.Load())) >= w.timeout {
			expire()
			return
		}
	}
}
