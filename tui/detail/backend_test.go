package detail

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mlectl/mlectl/client"
)

func TestShadowTabNamesTheBackend(t *testing.T) {
	for _, tc := range []struct{ backend, want string }{
		{"", ""}, // logged comparisons score nothing
		{"cpu", " · backend cpu"},
		{"opencl on NVIDIA CUDA: NVIDIA H100", " · backend opencl on NVIDIA CUDA: NVIDIA H100"},
	} {
		assert.Equal(t, tc.want, backendOf(client.ShadowReport{Backend: tc.backend}))
	}
}
