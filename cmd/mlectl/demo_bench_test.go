package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/demo"
	"github.com/mlectl/mlectl/tui"
)

// frameWriter is the console's terminal: it notes when the first frame
// holding the console's header (not the "starting…" placeholder) is
// written.
type frameWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	first chan struct{}
	once  sync.Once
}

func (w *frameWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if bytes.Contains(w.buf.Bytes(), []byte("mlectl > Models")) {
		w.once.Do(func() { close(w.first) })
	}
	return len(p), nil
}

// BenchmarkDemoFirstFrame measures `mlectl demo` from its start to the
// console's first full frame on the terminal (80×24, --ascii), through the
// same runDemoConsole the command uses: listener open, console started on
// it while storage, collector, registry, rules and baselines come up, the
// 10 minutes of history simulated in the background.
func BenchmarkDemoFirstFrame(b *testing.B) {
	logger := slog.New(slog.DiscardHandler)
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(b, err)
		w := &frameWriter{first: make(chan struct{})}
		done := make(chan error, 1)
		go func() {
			done <- runDemoConsole(ctx, l, demo.Options{Logger: logger}, func(ctx context.Context, url string) error {
				c, err := client.New(url)
				if err != nil {
					return err
				}
				r := lipgloss.NewRenderer(io.Discard)
				r.SetColorProfile(termenv.Ascii)
				r.SetHasDarkBackground(true)
				return tui.Run(ctx, tui.Config{API: c, Renderer: r, ASCII: true, Width: 80, Height: 24},
					tea.WithOutput(w), tea.WithInput(nil), tea.WithoutSignalHandler())
			})
		}()
		select {
		case <-w.first:
		case err := <-done:
			b.Fatalf("the demo ended before its first frame: %v", err)
		case <-time.After(10 * time.Second):
			b.Fatalf("no first frame within 10s; output so far: %q", w.String())
		}
		total += time.Since(start)
		b.StopTimer()
		cancel()
		require.NoError(b, <-done)
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "first-frame-ms")
}

func (w *frameWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
