package runbooks_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/runbooks"
)

// The API serves runbooks.Runbook (it holds parsed matchers); clients
// decode api.Runbook. Both must be the same JSON, and Wire must carry every
// field.
func TestRunbookJSONIsTheWireType(t *testing.T) {
	lib, err := runbooks.Default()
	require.NoError(t, err)
	all := lib.All()
	require.NotEmpty(t, all)
	for _, rb := range all {
		served, err := json.Marshal(rb)
		require.NoError(t, err)
		var decoded api.Runbook
		require.NoError(t, json.Unmarshal(served, &decoded))
		again, err := json.Marshal(decoded)
		require.NoError(t, err)
		assert.JSONEq(t, string(served), string(again), "runbook %s", rb.ID)
		wire, err := json.Marshal(rb.Wire())
		require.NoError(t, err)
		assert.JSONEq(t, string(served), string(wire), "runbook %s", rb.ID)
	}
}
