// Package confirm owns the typed-confirmation dialog the console puts in
// front of dangerous actions (rollback, promote, fault injection): the
// operator must type an expected word — the model's name — and press
// enter before the action's tea.Cmd runs; esc cancels. The dialog does no
// I/O itself: the action is returned to Bubble Tea to run.
package confirm
