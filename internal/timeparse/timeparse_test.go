package timeparse

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"now", now},
		{" now ", now},
		{"-1h", now.Add(-time.Hour)},
		{"-2m", now.Add(-2 * time.Minute)},
		{"-1h30m", now.Add(-90 * time.Minute)},
		{"-2d", now.Add(-48 * time.Hour)},
		{"-1.5h", now.Add(-90 * time.Minute)},
		{"now-1h", now.Add(-time.Hour)},
		{"now+5m", now.Add(5 * time.Minute)},
		{"now-1w", now.Add(-7 * 24 * time.Hour)},
		{"2026-11-20T13:00:00Z", now.Add(-time.Hour)},
		{"2026-11-20T15:00:00+02:00", now.Add(-time.Hour)},
		{"2026-11-20T13:00:00.250Z", now.Add(-time.Hour + 250*time.Millisecond)},
		{"1763647200", time.Unix(1763647200, 0).UTC()},
		{"1763647200.5", time.Unix(1763647200, 5e8).UTC()},
		{"0", time.Unix(0, 0).UTC()},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in, now)
			require.NoError(t, err)
			assert.True(t, tc.want.Equal(got), "got %s want %s", got, tc.want)
			assert.Equal(t, time.UTC, got.Location())
		})
	}
}

func TestParseRefuses(t *testing.T) {
	now := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	tests := []struct{ in, wantErr string }{
		{"", "empty time"},
		{"1h", "write -1h"},
		{"yesterday", "is not a time"},
		{"now-", "is not a duration"},
		{"now1h", "after now comes"},
		{"-abc", "is not a duration"},
		{"1763647200000", "Unix milliseconds"},
		{"NaN", "is not a time"},
		{"2026-13-01T00:00:00Z", "is not a time"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in, now)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

func TestRange(t *testing.T) {
	now := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		name, from, to   string
		wantFrom, wantTo time.Time
		defFrom, defTo   time.Time
		wantErr          string
	}{
		{name: "relative to now", from: "-1m", to: "now", wantFrom: now.Add(-time.Minute), wantTo: now},
		{name: "defaults", defFrom: now.Add(-time.Hour), defTo: now, wantFrom: now.Add(-time.Hour), wantTo: now},
		{name: "open end", from: "-1m", wantFrom: now.Add(-time.Minute)},
		{name: "reversed", from: "now", to: "-1h", wantErr: "is not before"},
		{name: "bad to", from: "-1h", to: "later", wantErr: "to: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, to, err := Range(tc.from, tc.to, now, tc.defFrom, tc.defTo)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.True(t, tc.wantFrom.Equal(f), "from %s", f)
			assert.True(t, tc.wantTo.Equal(to), "to %s", to)
		})
	}
}
