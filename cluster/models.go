package cluster

import (
	"bytes"
	"context"
	"net/http"
	"sort"
	"sync"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/internal/apienv"
)

// maxListBytes caps a peer's models list.
const maxListBytes = 32 << 20

// Models merges GET /api/v1/models across the cluster: this collector's
// list and every peer's (asked concurrently with the caller's
// Authorization, within cluster.timeout), each model taken from its owner
// and marked with it (api.ModelState.Collector). A peer that does not
// answer leaves its models in the list as last seen (or by name alone,
// when the directory knows them but no listing ever came), marked
// unreachable with the error; the rest of the list is unaffected.
type Models struct {
	dir    *Directory
	client *http.Client

	mu   sync.Mutex
	last map[string][]api.ModelState // peer → its last good list
}

// NewModels builds the merged list of dir's cluster.
func NewModels(dir *Directory) *Models {
	return &Models{dir: dir, client: &http.Client{Timeout: dir.cfg.timeout()}, last: map[string][]api.ModelState{}}
}

// Wrap serves the merged list around local, this collector's own list
// handler. A forwarded call (a peer asking for this collector's list) gets
// the local list alone.
func (m *Models) Wrap(local http.Handler) http.Handler {
	return wrapLocalList(local, func(w http.ResponseWriter, r *http.Request, own []api.ModelState) {
		apienv.Data(w, http.StatusOK, m.merge(r.Context(), r.Header.Get("Authorization"), own))
	})
}

type peerList struct {
	models []api.ModelState
	err    error
}

func (m *Models) merge(ctx context.Context, authorization string, own []api.ModelState) []api.ModelState {
	peers := m.dir.Peers()
	lists := make([]peerList, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Go(func() {
			ms, err := m.fetch(ctx, p, authorization)
			lists[i] = peerList{ms, err}
		})
	}
	wg.Wait()

	self := m.dir.Self()
	out := map[string]api.ModelState{}
	ownerOf := func(name string) (Member, bool) {
		o, err := m.dir.Owner(name)
		return o, err == nil
	}
	put := func(st api.ModelState, c Member, err error) {
		mc := &api.ModelCollector{Name: c.Name, URL: c.URL, Reachable: err == nil}
		if err != nil {
			mc.Error = err.Error()
		}
		st.Collector = mc
		out[st.Name] = st
	}
	for _, st := range own {
		if o, ok := ownerOf(st.Name); ok && o.Name == self.Name {
			put(st, self, nil)
		}
	}
	down := map[string]error{}
	for i, p := range peers {
		l := lists[i]
		m.mu.Lock()
		if l.err == nil {
			m.last[p.Name] = l.models
		} else {
			l.models = m.last[p.Name]
			down[p.Name] = l.err
		}
		m.mu.Unlock()
		for _, st := range l.models {
			if o, ok := ownerOf(st.Name); ok && o.Name == p.Name {
				put(st, p, l.err)
			}
		}
	}
	// Models the directory places on a collector that did not answer,
	// never listed from it: by name, so the console can say the owner is
	// down. Local copies of them (made before the cluster was
	// configured) are shown the same way rather than as if current.
	for name, o := range m.dir.KnownModels() {
		if _, listed := out[name]; listed {
			continue
		}
		if err, isDown := down[o.Name]; isDown {
			put(api.ModelState{Model: api.Model{Name: name}, Versions: []api.Version{}}, o, err)
		}
	}
	list := make([]api.ModelState, 0, len(out))
	for _, st := range out {
		list = append(list, st)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}

// fetch asks peer for its own models list, with the caller's token.
func (m *Models) fetch(ctx context.Context, peer Member, authorization string) ([]api.ModelState, error) {
	header := http.Header{}
	if authorization != "" {
		header.Set("Authorization", authorization)
	}
	return fetchPeerList[api.ModelState](ctx, m.client, m.dir.cfg.Name, peer, "/api/v1/models", header, "models list", false)
}

// recorder keeps the local list handler's answer for merging.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(code int)        { r.code = code }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
