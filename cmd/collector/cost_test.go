package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunRefusesBadCostConfig: a negative price, a non-finite one and a
// cost for a model nobody declared or registered are bad configuration:
// exit 2 with the field named, before anything is served.
func TestRunRefusesBadCostConfig(t *testing.T) {
	tests := []struct {
		name, config, want string
	}{
		{"negative price", "cost: {models: {fraud: {price_per_replica_hour: -1, replicas: 2}}}", "cost.models.fraud.price_per_replica_hour must not be negative"},
		{"infinite price", "cost: {models: {fraud: {price_per_gpu_hour: .inf}}}", "cost.models.fraud.price_per_gpu_hour must be a finite number"},
		{"unknown model", "cost: {models: {fruad: {price_per_replica_hour: 1, replicas: 2}}}", "cost.models.fruad: unknown model fruad"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "collector.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte(tc.config), 0o600))
			var stderr bytes.Buffer
			code := run(context.Background(), []string{"--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--config", cfg}, io.Discard, &stderr, nil)
			assert.Equal(t, 2, code, stderr.String())
			assert.Contains(t, stderr.String(), tc.want)
		})
	}
}
