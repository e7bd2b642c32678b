package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/internal/diskguard"
	"github.com/mlectl/mlectl/internal/testfs"
	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/store"
)

// guardedLog is a prediction log with a disk guard, served over loopback.
type guardedLog struct {
	t   *testing.T
	dir string
	log *store.Store
	url string
}

func openGuarded(t *testing.T, dir string, guard *diskguard.Guard) *guardedLog {
	lg, err := store.Open(dir, store.Options{DiskGuard: guard})
	require.NoError(t, err)
	h, err := New(context.Background(), Config{Log: lg})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &guardedLog{t: t, dir: dir, log: lg, url: srv.URL}
}

func (g *guardedLog) ingest(batch int) (int, string) {
	var sb strings.Builder
	ts := time.Now().Add(-time.Hour).UnixMilli()
	for i := range 50 {
		fmt.Fprintf(&sb, `{"model":"fraud","version":"v7","request_id":"d-%d-%d","ts":%d,"features":{"amount":%d.25}}`+"\n", batch, i, ts+int64(batch*100+i), i)
	}
	resp, err := http.Post(g.url+"/api/v1/predictions", "application/x-ndjson", strings.NewReader(sb.String()))
	require.NoError(g.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(g.t, err)
	return resp.StatusCode, string(b)
}

func (g *guardedLog) exportCode() int {
	resp, err := http.Get(g.url + "/api/v1/predictions/export?model=fraud")
	require.NoError(g.t, err)
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(g.t, err)
	return resp.StatusCode
}

// idsAfterKill9 copies the log aside as kill -9 would leave it (no Close)
// and returns the request ids found when it is opened again.
func idsAfterKill9(t *testing.T, dir string) map[string]bool {
	crashed := testfs.CopyDir(t, dir)
	lg, err := store.Open(crashed, store.Options{})
	require.NoError(t, err)
	defer lg.Close()
	ids := map[string]bool{}
	require.NoError(t, lg.Scan(context.Background(), store.Query{Model: "fraud"}, func(r *predlog.Record) error {
		ids[r.RequestID] = true
		return nil
	}))
	return ids
}

func ackedIDs(batches ...int) map[string]bool {
	ids := map[string]bool{}
	for _, b := range batches {
		for i := range 50 {
			ids[fmt.Sprintf("d-%d-%d", b, i)] = true
		}
	}
	return ids
}

// TestPredictionIngestDiskFull: below the reserve, ingest answers 507
// naming the data dir and its free bytes and writes nothing; exports go on;
// once space returns ingest resumes by itself; after kill -9 every
// acknowledged record is there and no refused one.
func TestPredictionIngestDiskFull(t *testing.T) {
	var free atomic.Uint64
	free.Store(1 << 30)
	dir := t.TempDir()
	g := openGuarded(t, dir, diskguard.New(dir, 64<<20, func(string) (uint64, error) { return free.Load(), nil }))
	defer g.log.Close()
	code, body := g.ingest(0)
	require.Equal(t, http.StatusOK, code, body)

	free.Store(1 << 20)
	code, body = g.ingest(1)
	require.Equal(t, http.StatusInsufficientStorage, code, body)
	for _, want := range []string{"none is acknowledged", "insufficient storage", "data dir " + dir, "1048576 bytes free"} {
		assert.Contains(t, body, want)
	}
	assert.Equal(t, http.StatusOK, g.exportCode(), "exports are served while the disk is full")

	free.Store(1 << 30)
	for b := 2; b < 6; b++ {
		code, body = g.ingest(b)
		require.Equal(t, http.StatusOK, code, body)
	}
	assert.Equal(t, ackedIDs(0, 2, 3, 4, 5), idsAfterKill9(t, dir))
}

// TestPredictionIngestFullTmpfs is the same on a real tmpfs filled to the
// last byte, with the real statfs probe: no SIGBUS, 507, and every
// acknowledged record back after kill -9 (skipped where no tmpfs can be
// mounted).
func TestPredictionIngestFullTmpfs(t *testing.T) {
	mnt := testfs.Tmpfs(t, 64<<20)
	dir := filepath.Join(mnt, "predlog")
	g := openGuarded(t, dir, diskguard.New(dir, 4<<20, nil))
	defer g.log.Close()
	code, body := g.ingest(0)
	require.Equal(t, http.StatusOK, code, body)

	filler := testfs.Fill(t, mnt, "filler")
	defer os.Remove(filler) // on failure too, before anything closes badger on a full disk (SIGBUS)
	code, body = g.ingest(1)
	require.Equal(t, http.StatusInsufficientStorage, code, body)
	assert.Contains(t, body, "data dir "+dir)
	assert.Equal(t, http.StatusOK, g.exportCode())

	require.NoError(t, os.Remove(filler))
	for b := 2; b < 6; b++ {
		code, body = g.ingest(b)
		require.Equal(t, http.StatusOK, code, body)
	}
	assert.Equal(t, ackedIDs(0, 2, 3, 4, 5), idsAfterKill9(t, dir))
}
