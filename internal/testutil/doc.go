// Package testutil holds the HTTP scaffolding that tests across packages
// repeat: one request with an optional bearer token against a real server
// on 127.0.0.1, its status and body read whole. Standard library and
// testify only, so any package's tests may import it.
package testutil
