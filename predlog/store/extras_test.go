package store

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/predlog"
)

// withExtras gives some of recs explanations and feature times: every
// second record explains amount (and every fourth country too), every
// third logs when amount was computed, one logs an empty explanation.
func withExtras(recs []predlog.Record) []predlog.Record {
	for i := range recs {
		r := &recs[i]
		if i%2 == 0 {
			r.Explanations = []predlog.Feature{{Name: "amount", Value: predlog.Number(int64(i)-5, -3)}}
			if i%4 == 0 {
				r.Explanations = append(r.Explanations, predlog.Feature{Name: "country", Value: predlog.Float(-0.1234567890123456789)})
			}
		}
		if i%3 == 0 {
			r.FeatureTS = []predlog.FeatureTime{{Name: "amount", TS: r.TS - int64(i*1000)}}
		}
	}
	recs[1].Explanations = []predlog.Feature{}
	return recs
}

func TestExtrasRoundTripAndFormat(t *testing.T) {
	cases := []struct {
		name   string
		recs   []predlog.Record
		format byte
	}{
		{"records without extras keep format 1", testRecords(20, "m", "v", 1795687200000), blockFormat},
		{"explanations and feature times", withExtras(testRecords(20, "m", "v", 1795687200000)), blockFormatExtras},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var e blockEncoder
			hdr, err := e.encode(nil, tc.recs)
			require.NoError(t, err)
			assert.Equal(t, tc.format, hdr[0])
			h, _, err := decodeHeader(hdr)
			require.NoError(t, err)
			got, err := decodeBlock("m", "v", h, tc.recs[0].TS, e.payload)
			require.NoError(t, err)
			assert.Equal(t, canon(tc.recs), canon(got))
			for cut := 0; cut < len(e.payload); cut += 7 {
				_, err := decodeBlock("m", "v", h, 0, e.payload[:cut])
				require.Error(t, err, "truncated at %d", cut)
			}
		})
	}
}

func TestExtrasSurviveReopenAndCompaction(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{MaxBlockRecords: 64})
	require.NoError(t, err)
	plain := testRecords(30, "fraud", "v7", 1795687200000)
	extra := withExtras(testRecords(30, "fraud", "v7", 1795687200000+30*37))
	// Small blocks of both formats, merged by Compact into mixed ones.
	for i := range plain {
		require.NoError(t, s.Append(ctx, plain[i:i+1]))
	}
	for i := range extra {
		require.NoError(t, s.Append(ctx, extra[i:i+1]))
	}
	want := canon(append(append([]predlog.Record(nil), plain...), extra...))
	_, err = s.Compact(ctx, 32)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	s, err = Open(dir, Options{})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, want, canon(scanAll(t, s, Query{Model: "fraud"})))
}
