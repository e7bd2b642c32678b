package api

// HeaderActingFor names the person a delegating caller acts for (the SSH
// console sends the session key's name). The collector honours it only
// from a token configured with `delegate: true` and records both names
// ("oncall-alice via ssh-gateway"); from any other caller it is refused
// with 403 (see package auth). A proxy that forwards a call's
// Authorization header between collectors must forward this one with it,
// unchanged, or the action is recorded under the gateway's name alone.
const HeaderActingFor = "X-Mlectl-Acting-For"

// MaxActingForLen bounds an acting-for name.
const MaxActingForLen = 64
