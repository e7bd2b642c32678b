// Package testfs gives tests real small filesystems that fill up: a tmpfs
// of a given size mounted for the duration of a test (Linux, as root), so
// that disk-full handling is exercised against the kernel's own ENOSPC
// rather than only against injected faults. Tests skip where it cannot be
// mounted.
package testfs
