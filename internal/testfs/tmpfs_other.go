//go:build !linux

package testfs

import "testing"

// Tmpfs skips: tmpfs mounts are Linux-only.
func Tmpfs(t testing.TB, sizeBytes int64) string {
	t.Skip("tmpfs mounts need Linux")
	return ""
}

// Fill is not reached (Tmpfs skips first).
func Fill(t testing.TB, dir, name string) string {
	t.Skip("tmpfs mounts need Linux")
	return ""
}
