package diskguard

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckFor(t *testing.T) {
	for _, tc := range []struct {
		name    string
		free    uint64
		err     error
		reserve int64
		need    uint64
		full    bool
	}{
		{"above the reserve", 100, nil, 50, 0, false},
		{"exactly the reserve", 50, nil, 50, 0, false},
		{"below the reserve", 49, nil, 50, 0, true},
		{"the write would cross the reserve", 100, nil, 50, 60, true},
		{"no reserve, nothing free", 0, nil, 0, 0, true},
		{"negative reserve is none", 1, nil, -5, 0, false},
		{"a failing probe does not stop ingest", 0, errors.New("statfs: EIO"), 50, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := New("/data", tc.reserve, func(dir string) (uint64, error) {
				assert.Equal(t, "/data", dir)
				return tc.free, tc.err
			})
			err := g.CheckFor(tc.need)
			if !tc.full {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrFull)
			var fe *FullError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, http.StatusInsufficientStorage, fe.StatusCode())
			assert.Contains(t, err.Error(), "data dir /data has")
			assert.EqualValues(t, 1, g.Refused())
		})
	}
	var none *Guard
	require.NoError(t, none.Check(), "a nil guard allows everything")
}

func TestStatfs(t *testing.T) {
	free, err := Statfs(t.TempDir())
	require.NoError(t, err)
	assert.Positive(t, free)
	_, err = Statfs("/does/not/exist")
	require.Error(t, err)
}
