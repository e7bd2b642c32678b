package testutil

import (
	"bytes"
	"sync"

	"github.com/charmbracelet/x/ansi"
)

// SyncBuffer collects a child process's or a session's output while the
// test reads it: Write and the readers take one lock.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is the output so far, as written.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Text is the output so far without terminal escape sequences.
func (s *SyncBuffer) Text() string {
	return ansi.Strip(s.String())
}
