package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/predlog"
)

func testRecords(n int, model, version string, t0 int64) []predlog.Record {
	recs := make([]predlog.Record, n)
	for i := range recs {
		recs[i] = predlog.Record{
			Model: model, Version: version, Role: []string{"production", "shadow", "canary"}[i%3],
			RequestID: fmt.Sprintf("r-%d", i), Status: []string{"ok", "ok", "error"}[i%3],
			TS: t0 + int64(i*37), LatencyMS: predlog.Number(int64(100+i), -1), Injected: i%7 == 0,
			Features: []predlog.Feature{
				{Name: "amount", Value: predlog.Number(int64(i*13), -2)},
				{Name: "country", Value: predlog.String([]string{"DE", "FR", "US"}[i%3])},
			},
		}
		switch i % 4 {
		case 0:
			recs[i].Prediction = predlog.Prediction{Value: predlog.Float(0.1 * float64(i%10))}
		case 1:
			recs[i].Prediction = predlog.Prediction{Value: predlog.String("cat")}
		case 2:
			recs[i].Prediction = predlog.Prediction{Scores: []predlog.Score{{Class: "a", Value: predlog.Number(3, -1)}, {Class: "b", Value: predlog.Number(7, -1)}}}
		}
		if i%5 == 0 {
			recs[i].Features = append(recs[i].Features, predlog.Feature{Name: "opt", Value: predlog.Null})
		}
		if i%6 == 0 {
			recs[i].Features = append(recs[i].Features, predlog.Feature{Name: "raw", Value: predlog.Value{Kind: predlog.KindNumber, Num: 0.1234567890123456789}})
			recs[i].Features = append(recs[i].Features, predlog.Feature{Name: "flag", Value: predlog.Bool(i%12 == 0)})
		}
	}
	return recs
}

func scanAll(t *testing.T, s *Store, q Query) []predlog.Record {
	t.Helper()
	var out []predlog.Record
	require.NoError(t, s.Scan(context.Background(), q, func(r *predlog.Record) error {
		c := *r
		c.Features = append([]predlog.Feature(nil), r.Features...)
		out = append(out, c)
		return nil
	}))
	return out
}

// canon sorts features by the order they were written so that records
// compare equal after a round trip (a block stores features column-wise).
func canon(recs []predlog.Record) []string {
	out := make([]string, len(recs))
	for i := range recs {
		out[i] = string(predlog.AppendJSON(nil, &recs[i]))
	}
	return out
}

func TestAppendScanRoundTripAndReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{MaxBlockRecords: 100})
	require.NoError(t, err)
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).UnixMilli()
	a := testRecords(250, "fraud", "v7", t0)
	b := testRecords(30, "fraud", "v8", t0+5000)
	c := testRecords(10, "churn", "v1", t0)
	require.NoError(t, s.Append(ctx, append(append(append([]predlog.Record(nil), a...), b...), c...)))
	require.NoError(t, s.Close())

	s, err = Open(dir, Options{})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, canon(a), canon(scanAll(t, s, Query{Model: "fraud", Version: "v7"})))
	assert.Equal(t, canon(c), canon(scanAll(t, s, Query{Model: "churn"})))
	assert.Len(t, scanAll(t, s, Query{Model: "fraud"}), 280)
	assert.Empty(t, scanAll(t, s, Query{Model: "fra"}), "model prefix must not match another model")

	// Time range: [t0+37*10, t0+37*20) holds records 10..19 of a, and b's
	// records are later than t0+5000.
	got := scanAll(t, s, Query{Model: "fraud", From: time.UnixMilli(t0 + 370), To: time.UnixMilli(t0 + 740)})
	assert.Equal(t, canon(a[10:20]), canon(got))

	names, err := s.FeatureNames(ctx, Query{Model: "fraud"})
	require.NoError(t, err)
	assert.Equal(t, []string{"amount", "country", "opt", "raw", "flag"}, names)

	mvs, err := s.Models(ctx)
	require.NoError(t, err)
	assert.Equal(t, []ModelVersion{{"churn", "v1"}, {"fraud", "v7"}, {"fraud", "v8"}}, mvs)
}

func TestAppendRejectsBadNames(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	defer s.Close()
	err = s.Append(context.Background(), []predlog.Record{{Model: "a\x00b", Version: "1", Role: "production"}})
	require.ErrorIs(t, err, ErrInvalidName)
}

func TestMeta(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.GetMeta(ctx, "baseline", "x")
	require.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, s.PutMeta(ctx, "baseline", "x", []byte("1")))
	require.NoError(t, s.PutMeta(ctx, "baseline", "y", []byte("2")))
	require.NoError(t, s.PutMeta(ctx, "contract", "x", []byte("3")))
	v, err := s.GetMeta(ctx, "baseline", "x")
	require.NoError(t, err)
	assert.Equal(t, "1", string(v))
	var keys []string
	require.NoError(t, s.ListMeta(ctx, "baseline", func(k string, _ []byte) error { keys = append(keys, k); return nil }))
	assert.Equal(t, []string{"x", "y"}, keys)
}

func TestCorruptBlockIsAnError(t *testing.T) {
	recs := testRecords(20, "m", "v", 0)
	var e blockEncoder
	hdr, err := e.encode(nil, recs)
	require.NoError(t, err)
	h, _, err := decodeHeader(hdr)
	require.NoError(t, err)
	got, err := decodeBlock("m", "v", h, 0, e.payload)
	require.NoError(t, err)
	assert.Equal(t, canon(recs), canon(got))
	for cut := 0; cut < len(e.payload); cut += 7 {
		_, err := decodeBlock("m", "v", h, 0, e.payload[:cut])
		require.Error(t, err, "truncated at %d", cut)
	}
}

func TestCompactMergesSmallBlocks(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{MaxBlockRecords: 64})
	require.NoError(t, err)
	defer s.Close()
	recs := testRecords(150, "fraud", "v7", 1795687200000)
	// One record per Append, as a client posting single records would.
	for i := range recs {
		require.NoError(t, s.Append(ctx, recs[i:i+1]))
	}
	require.NoError(t, s.Append(ctx, testRecords(10, "churn", "v1", 0)))
	before := canon(scanAll(t, s, Query{Model: "fraud"}))
	require.Equal(t, canon(recs), before)

	st, err := s.Compact(ctx, 32)
	require.NoError(t, err)
	assert.Equal(t, 150, st.BlocksIn, "the churn block is alone and stays")
	assert.Equal(t, 3, st.BlocksOut) // 64 + 64 + 22 records
	assert.Less(t, st.BytesOut*4, st.BytesIn, "merged blocks are much smaller")
	assert.Equal(t, before, canon(scanAll(t, s, Query{Model: "fraud"})))
	assert.Len(t, scanAll(t, s, Query{Model: "churn"}), 10)

	// Nothing small is left to merge.
	st, err = s.Compact(ctx, 32)
	require.NoError(t, err)
	assert.Equal(t, CompactStats{}, st)
}

func TestDeleteBefore(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	defer s.Close()
	t0 := int64(1795687200000)
	require.NoError(t, s.Append(ctx, testRecords(10, "fraud", "v7", t0)))        // t0 .. t0+333
	require.NoError(t, s.Append(ctx, testRecords(10, "fraud", "v7", t0+10_000))) // later block
	n, err := s.DeleteBefore(ctx, time.UnixMilli(t0+5_000))
	require.NoError(t, err)
	assert.Equal(t, 10, n)
	got := scanAll(t, s, Query{Model: "fraud"})
	require.Len(t, got, 10)
	assert.Equal(t, t0+10_000, got[0].TS)

	require.NoError(t, s.PutMeta(ctx, "label", "a", []byte("old")))
	require.NoError(t, s.PutMeta(ctx, "label", "b", []byte("new")))
	n, err = s.DeleteMetaIf(ctx, "label", func(_ string, v []byte) bool { return string(v) == "old" })
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, err = s.GetMeta(ctx, "label", "a")
	assert.ErrorIs(t, err, ErrNotFound)
}
