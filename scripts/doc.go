// Package scripts holds the repository's shell scripts (fuzz.sh) and the
// tests that run them; it has no Go API.
package scripts
