// Package tui owns the mlectl console: the root Bubble Tea model that routes
// keys and messages between views (models, alerts, query, timeline,
// runbooks, game day), the `:` command line, the `/` filter, the `?` help
// generated from the live keymap, breadcrumbs, and the status line with
// collector readiness and data age.
//
// Views live in sub-packages, one per screen, and never do I/O in View()
// or block in Update: every collector call is a tea.Cmd, and the periodic
// refresh is dropped while the previous one is still in flight.
package tui
