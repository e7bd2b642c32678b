package sshserve

import (
	"bufio"
	"context"
	"fmt"
	"github.com/mlectl/mlectl/internal/testutil"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// benchChildEnv makes the test binary the SSH server of
// BenchmarkIdleSessions (a process of its own, so its RSS and CPU time are
// the server's alone, not the clients' or the collector's).
const benchChildEnv = "MLECTL_SSH_BENCH_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(benchChildEnv) != "" {
		os.Exit(benchServer())
	}
	os.Exit(m.Run())
}

// benchServer serves SSH on 127.0.0.1 for the collector and keys named in
// its environment, prints its address, and stops when stdin closes.
func benchServer() int {
	hostKey, _, err := LoadOrCreateHostKey(filepath.Join(os.Getenv("MLECTL_SSH_BENCH_DIR"), "host_ed25519"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s, err := New(Config{
		Collector: os.Getenv("MLECTL_SSH_BENCH_COLLECTOR"), KeysFile: os.Getenv("MLECTL_SSH_BENCH_KEYS"), HostKey: hostKey,
		MaxSessions: 1000, Refresh: time.Second, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go func() { _ = s.Serve(ln) }()
	fmt.Println(ln.Addr().String())
	_, _ = io.Copy(io.Discard, os.Stdin)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.Shutdown(ctx)
	return 0
}

// procStat is a process's resident memory and CPU time, from /proc.
type procStat struct {
	rssBytes int64
	cpu      time.Duration
}

func readProc(pid int) (procStat, error) {
	var st procStat
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return st, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return st, fmt.Errorf("VmRSS %q: %w", rest, err)
			}
			st.rssBytes = kb << 10
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return st, err
	}
	// Fields after the command name (which may hold spaces): utime and
	// stime are the 12th and 13th, in clock ticks (USER_HZ, 100 on Linux).
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	st.cpu = time.Duration(utime+stime) * (time.Second / 100)
	return st, nil
}

// countingWriter counts a session's output bytes.
type countingWriter struct{ n *atomic.Int64 }

func (w countingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return len(p), nil
}

// BenchmarkIdleSessions opens 100 consoles (80×24, one SSH connection
// each, refreshing once a second against the demo collector) on a server
// running as its own process with GOMAXPROCS=2, and prints the server's
// RSS with 0 sessions (the baseline) and with 100, the memory per session,
// and the CPU it spends on them: sessions per core at one frame per second.
// Goal: 100 sessions in < 500 MB RSS on 2 cores.
func BenchmarkIdleSessions(b *testing.B) {
	const sessions = 100
	const window = 10 * time.Second
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc")
	}
	url := startDemo(b)
	dir := b.TempDir()
	var people []person
	for i := range 4 {
		people = append(people, newPerson(b, fmt.Sprintf("eng%d", i), "viewer"))
	}
	keys := writeKeys(b, dir, nil, people...)
	for range b.N {
		child := exec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), benchChildEnv+"=1", "GOMAXPROCS=2",
			"MLECTL_SSH_BENCH_COLLECTOR="+url, "MLECTL_SSH_BENCH_KEYS="+keys, "MLECTL_SSH_BENCH_DIR="+dir)
		stdin, err := child.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		stdout, err := child.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		// The server's log (wish logs each console the shutdown ends) is
		// shown only when the benchmark fails.
		childErr := &testutil.SyncBuffer{}
		child.Stderr = childErr
		b.Cleanup(func() {
			if b.Failed() {
				b.Logf("server output:\n%s", childErr.Text())
			}
		})
		if err := child.Start(); err != nil {
			b.Fatal(err)
		}
		addr, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			b.Fatalf("the server printed no address: %v", err)
		}
		addr = strings.TrimSpace(addr)
		time.Sleep(2 * time.Second) // settle
		base, err := readProc(child.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}

		var clients []*gossh.Client
		var received atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, sessions)
		for i := range sessions {
			c, err := dial(addr, people[i%len(people)])
			if err != nil {
				b.Fatalf("session %d: %v", i, err)
			}
			clients = append(clients, c)
			wg.Add(1)
			go func() {
				defer wg.Done()
				sess, err := c.NewSession()
				if err != nil {
					errs <- err
					return
				}
				if err := sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
					errs <- err
					return
				}
				sess.Stdout = countingWriter{&received}
				if err := sess.Shell(); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		time.Sleep(5 * time.Second) // every console has drawn and fetched
		before, err := readProc(child.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		bytes0 := received.Load()
		time.Sleep(window)
		after, err := readProc(child.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		bytes1 := received.Load()
		for _, c := range clients {
			c.Close()
		}
		_ = stdin.Close()
		_ = child.Wait()

		cores := after.cpu.Seconds() - before.cpu.Seconds()
		cores /= window.Seconds()
		perSession := float64(after.rssBytes-base.rssBytes) / sessions
		mb := func(n float64) float64 { return n / (1 << 20) }
		fmt.Printf("ssh sessions: baseline (server, 0 sessions) RSS %.1f MB; %d sessions RSS %.1f MB (+%.2f MB per session); CPU %.3f cores at 1 frame/s -> %.0f sessions per core; %.0f bytes/s per session\n",
			mb(float64(base.rssBytes)), sessions, mb(float64(after.rssBytes)), mb(perSession), cores, float64(sessions)/max(cores, 1e-3),
			float64(bytes1-bytes0)/window.Seconds()/sessions)
		b.ReportMetric(mb(float64(base.rssBytes)), "MB-rss-0-sessions")
		b.ReportMetric(mb(float64(after.rssBytes)), "MB-rss-100-sessions")
		b.ReportMetric(mb(perSession), "MB/session")
		b.ReportMetric(float64(sessions)/max(cores, 1e-3), "sessions/core")
	}
}
