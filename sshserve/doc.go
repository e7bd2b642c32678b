// Package sshserve serves the console over SSH (`mlectl serve --ssh`): the
// product itself is the SSH server, an engineer's public key is their
// identity, and the key's role decides what the session may do.
//
// Keys are listed in keys.yaml (see LoadKeyring): each entry names a person,
// a role (viewer, responder or admin) and their public keys. A key not in
// the file is refused during authentication, before any session starts.
// The server holds one collector token per role, so a viewer's session
// reaches the collector with a viewer token and the collector refuses its
// mutations too, whatever the console shows (defence in depth).
//
// Each interactive session runs its own Bubble Tea program with its own
// lipgloss renderer, colour profile and window size; a viewer's console is
// read-only exactly as `mlectl --read-only`. A session with a command
// (`ssh -p 2222 host alerts list`) runs that CLI command instead, through
// Config.Exec, with the role's token, and exits with its status.
//
// Two traps of wish's helpers are avoided on purpose. The identity is
// taken from the key the session authenticated with (Session.PublicKey),
// not from the public-key callback, which runs for every key the client
// offers. The renderer is built from the session's TERM and environment
// without asking the terminal for its background colour (wish's
// MakeRenderer does, and a client that never answers stalls the first
// frame for seconds).
package sshserve
