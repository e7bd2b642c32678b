package collector

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/prometheus/prompb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Cancelling Serve's context stops accepting connections at once but lets a
// request already in flight finish and be committed.
func TestServeDrainsInFlightRequests(t *testing.T) {
	st := openTestStore(t, t.TempDir())
	t.Cleanup(func() { _ = st.Close() })
	srv, err := New(Config{}, st, nil)
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, l) }()

	now := time.Now()
	body := encodeV1(t, series([]string{"__name__", "in_flight", "job", "drain"}, prompb.Sample{Timestamp: now.UnixMilli(), Value: 7}))
	conn, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\nContent-Length: %d\r\n\r\n", len(body))
	require.NoError(t, err)
	_, err = conn.Write(body[:len(body)/2])
	require.NoError(t, err)
	time.Sleep(100 * time.Millisecond) // let the server read the headers: the connection is now active

	cancel()
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", l.Addr().String(), 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 5*time.Second, 10*time.Millisecond, "listener still accepting after cancellation")
	select {
	case err := <-served:
		t.Fatalf("Serve returned before the in-flight request finished: %v", err)
	default:
	}

	_, err = conn.Write(body[len(body)/2:])
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode, readAll(t, resp))
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after draining")
	}

	q, err := st.Querier(now.UnixMilli()-1, now.UnixMilli()+1)
	require.NoError(t, err)
	defer q.Close()
	ss := q.Select(context.Background(), false, nil, labelsMatcher("__name__", "in_flight"))
	require.True(t, ss.Next(), "the drained request's sample is in the store")
}
