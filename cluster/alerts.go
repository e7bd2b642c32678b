package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/internal/apienv"
)

// Alerts merges the alerting engines' state across the cluster: GET
// /api/v1/alerts/state on any collector lists every collector's active
// alerts, each marked with the collector that holds it
// (api.ActiveAlert.Collector), and POST /api/v1/alerts/ack of an alert
// another collector holds is forwarded to it, found by the alert's id
// (its label fingerprint). Peers are asked concurrently with the caller's
// Authorization and acting-for headers, within cluster.timeout. A peer
// that does not answer leaves its alerts as last seen, marked unreachable
// with the error, and the answer's warnings say so; the rest of the list
// is unaffected.
type Alerts struct {
	dir    *Directory
	proxy  *Proxy
	client *http.Client

	mu   sync.Mutex
	last map[string]seenAlerts // peer → its last good list
}

type seenAlerts struct {
	alerts []api.ActiveAlert
	at     time.Time
}

// NewAlerts builds the merged alerts of dir's cluster; acks of another
// collector's alerts go through proxy.
func NewAlerts(dir *Directory, proxy *Proxy) *Alerts {
	return &Alerts{dir: dir, proxy: proxy, client: &http.Client{Timeout: dir.cfg.timeout()}, last: map[string]seenAlerts{}}
}

// statePath is the alerting engine's list of active alerts.
const statePath = "/api/v1/alerts/state"

// WrapList serves the merged list around local, this collector's own
// GET /api/v1/alerts/state. A forwarded call (a peer asking) gets the
// local list alone.
func (a *Alerts) WrapList(local http.Handler) http.Handler {
	return wrapLocalList(local, func(w http.ResponseWriter, r *http.Request, own []api.ActiveAlert) {
		list, warnings := a.merge(r.Context(), r.Header, own)
		apienv.WriteJSON(w, http.StatusOK, struct {
			apienv.Envelope
			Warnings []string `json:"warnings,omitempty"`
		}{apienv.Envelope{Status: "success", Data: list}, warnings})
	})
}

// peerAlerts is one peer's answer.
type peerAlerts struct {
	alerts []api.ActiveAlert
	err    error
}

// askPeers fetches every peer's own list concurrently.
func (a *Alerts) askPeers(ctx context.Context, from http.Header) ([]Member, []peerAlerts) {
	peers := a.dir.Peers()
	lists := make([]peerAlerts, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Go(func() {
			as, err := a.fetch(ctx, p, from)
			lists[i] = peerAlerts{as, err}
		})
	}
	wg.Wait()
	return peers, lists
}

// merge is this collector's alerts and every peer's, firing first, then
// by name, collector and id.
func (a *Alerts) merge(ctx context.Context, from http.Header, own []api.ActiveAlert) ([]api.ActiveAlert, []string) {
	peers, lists := a.askPeers(ctx, from)
	self := a.dir.Self()
	out := make([]api.ActiveAlert, 0, len(own))
	mark := func(as []api.ActiveAlert, m Member, err error) {
		for _, al := range as {
			c := &api.ModelCollector{Name: m.Name, URL: m.URL, Reachable: err == nil}
			if err != nil {
				c.Error = err.Error()
			}
			al.Collector = c
			out = append(out, al)
		}
	}
	mark(own, self, nil)
	var warnings []string
	now := time.Now()
	for i, p := range peers {
		l := lists[i]
		a.mu.Lock()
		if l.err == nil {
			a.last[p.Name] = seenAlerts{alerts: l.alerts, at: now}
		} else {
			seen, ok := a.last[p.Name]
			l.alerts = seen.alerts
			if ok {
				warnings = append(warnings, fmt.Sprintf("%v: its %d alert(s) are as last seen %s ago", l.err, len(seen.alerts), now.Sub(seen.at).Round(time.Second)))
			} else {
				warnings = append(warnings, fmt.Sprintf("%v: its alerts are unknown (never listed from here)", l.err))
			}
		}
		a.mu.Unlock()
		mark(l.alerts, p, l.err)
	}
	slices.SortStableFunc(out, func(x, y api.ActiveAlert) int {
		if (x.State == "firing") != (y.State == "firing") {
			if x.State == "firing" {
				return -1
			}
			return 1
		}
		if c := strings.Compare(x.Name, y.Name); c != 0 {
			return c
		}
		if c := strings.Compare(x.Collector.Name, y.Collector.Name); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return out, warnings
}

// forwardHeaders are the caller's headers a peer needs to authenticate and
// audit the real caller: its token and, for a delegating token (an SSH
// gateway), the person it acts for.
var forwardHeaders = []string{"Authorization", api.HeaderActingFor}

// fetch asks peer for its own alerts, as the caller (from: its headers).
// A peer without an alerting engine (404) has no alerts.
func (a *Alerts) fetch(ctx context.Context, peer Member, from http.Header) ([]api.ActiveAlert, error) {
	header := http.Header{}
	for _, h := range forwardHeaders {
		if v := from.Get(h); v != "" {
			header.Set(h, v)
		}
	}
	return fetchPeerList[api.ActiveAlert](ctx, a.client, a.dir.cfg.Name, peer, statePath, header, "alerts", true)
}

// WrapAck routes POST /api/v1/alerts/ack around local, this collector's
// own: an alert this collector holds (holds reports it by id) is acked
// here; one a peer holds is forwarded to that peer, which acks and audits
// it as the caller. An id two collectors hold (the same labels on both)
// needs ?collector=NAME (409 naming them); an id nobody holds is answered
// here (404), or 503 when a peer that might hold it did not answer.
// Calls with ?collector= or already forwarded never reach it (Proxy.Wrap
// routes them first).
func (a *Alerts) WrapAck(local http.Handler, holds func(id string) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(HeaderForwardedBy) != "" || r.Body == nil {
			local.ServeHTTP(w, r)
			return
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, maxPeekBytes+1))
		rest := r.Body
		r.Body = readCloser{io.MultiReader(bytes.NewReader(b), rest), rest}
		var req api.AckRequest
		if err != nil || len(b) > maxPeekBytes || json.Unmarshal(b, &req) != nil || req.ID == "" || holds(req.ID) {
			local.ServeHTTP(w, r) // here, or the handler answers the bad body
			return
		}
		peers, lists := a.askPeers(r.Context(), r.Header)
		var holders []Member
		var down []string
		for i, p := range peers {
			if lists[i].err != nil {
				down = append(down, lists[i].err.Error())
				continue
			}
			if slices.ContainsFunc(lists[i].alerts, func(al api.ActiveAlert) bool { return al.ID == req.ID }) {
				holders = append(holders, p)
			}
		}
		switch {
		case len(holders) == 1:
			a.proxy.forward(w, r, holders[0], "")
		case len(holders) > 1:
			names := make([]string, len(holders))
			for i, h := range holders {
				names[i] = h.Name
			}
			apienv.Error(w, http.StatusConflict, fmt.Sprintf("alert %q is active on collectors %s (the same labels on each): name one with ?collector=NAME", req.ID, strings.Join(names, ", ")))
		case len(down) > 0:
			apienv.ErrorOfType(w, http.StatusServiceUnavailable, "unavailable", fmt.Sprintf("alert %q is not active on collector %s, and it may be on a collector that did not answer: %s", req.ID, a.dir.cfg.Name, strings.Join(down, "; ")))
		default:
			local.ServeHTTP(w, r) // not pending or firing anywhere: the local 404
		}
	})
}
