// Package keys owns the console's key bindings: the global keys, the
// table navigation keys and one keymap per view (views.go), each a
// help.KeyMap. Views match keys only through these bindings and the help
// screen is generated from them, so the help text can never drift from
// the real keymap; Views lists them for the tests that check conflicts
// with the global keys and README's key table.
package keys
