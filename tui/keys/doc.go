// Package keys owns the console's global key bindings. Views add their own
// bindings; the help screen is generated from whatever is bound, so the
// help text can never drift from the real keymap.
package keys
