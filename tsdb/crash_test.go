package tsdb

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/stretchr/testify/require"
)

const (
	crashDirEnv      = "MLECTL_TSDB_CRASH_DIR"
	crashSeries      = 5
	crashPerSeries   = 20 // samples per series per batch
	crashKillAfter   = 40 // acks the parent waits for before SIGKILL
	crashFlushEvery  = 15 // batches between seals in the child
	crashBaseMillis  = int64(1_700_000_000_000)
	crashMaxBatches  = 100_000
	crashHistoSeries = "crash_h"
)

func crashSample(batch, series, k int) (int64, float64) {
	i := batch*crashPerSeries + k
	return crashBaseMillis + int64(i)*1000, float64(i*10 + series)
}

// TestCrashChild is the child half of TestCrashDurability; it does nothing
// unless started by it.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("run by TestCrashDurability")
	}
	db, err := Open(dir, Options{Retention: 100 * 365 * 24 * time.Hour})
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(3)
	}
	for b := 0; b < crashMaxBatches; b++ {
		app := db.Appender(context.Background())
		for s := range crashSeries {
			ls := labels.FromStrings("__name__", "crash", "s", strconv.Itoa(s))
			for k := range crashPerSeries {
				ts, v := crashSample(b, s, k)
				if _, err := app.Append(0, ls, ts, v); err != nil {
					fmt.Println("append failed:", err)
					os.Exit(3)
				}
			}
		}
		ts, _ := crashSample(b, 0, 0)
		if _, err := app.AppendHistogram(0, labels.FromStrings("__name__", crashHistoSeries), ts, testHistogram(b), nil); err != nil {
			fmt.Println("append histogram failed:", err)
			os.Exit(3)
		}
		if err := app.Commit(); err != nil {
			fmt.Println("commit failed:", err)
			os.Exit(3)
		}
		fmt.Printf("acked %d\n", b) // os.Stdout is unbuffered
		if b%crashFlushEvery == crashFlushEvery-1 {
			if err := db.Flush(context.Background()); err != nil {
				fmt.Println("flush failed:", err)
				os.Exit(3)
			}
			// Compaction merges the small sealed blocks, so the kill also
			// lands during compaction transactions.
			if err := db.Compact(context.Background()); err != nil {
				fmt.Println("compact failed:", err)
				os.Exit(3)
			}
		}
	}
	os.Exit(0)
}

func TestCrashDurability(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())

	lastAck := -1
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		n, ok := strings.CutPrefix(line, "acked ")
		if !ok {
			continue // test framework chatter
		}
		b, err := strconv.Atoi(n)
		require.NoError(t, err, line)
		require.Equal(t, lastAck+1, b)
		lastAck = b
		if !killed && b >= crashKillAfter {
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			killed = true
		}
	}
	_ = cmd.Wait()
	require.True(t, killed, "child exited before %d acks (last ack %d)", crashKillAfter, lastAck)

	db := openTestDB(t, dir, Options{Retention: 100 * 365 * 24 * time.Hour})
	defer db.Close()
	maxT, _ := crashSample(lastAck, 0, crashPerSeries-1)
	res := queryAll(t, db, crashBaseMillis, maxT)
	for s := range crashSeries {
		ls := labels.FromStrings("__name__", "crash", "s", strconv.Itoa(s))
		got := res[ls.String()]
		require.GreaterOrEqual(t, len(got), (lastAck+1)*crashPerSeries, "series %d lost acked samples", s)
		for b := 0; b <= lastAck; b++ {
			for k := range crashPerSeries {
				ts, v := crashSample(b, s, k)
				p := got[b*crashPerSeries+k]
				require.Equal(t, point{T: ts, V: v}, p, "batch %d sample %d", b, k)
			}
		}
	}
	hs := res[labels.FromStrings("__name__", crashHistoSeries).String()]
	require.Len(t, hs, lastAck+1)
	for b := 0; b <= lastAck; b++ {
		require.Equal(t, testHistogram(b), hs[b].H)
	}
	t.Logf("child killed after %d acknowledged commits; all present after reopen", lastAck+1)
}
