package collector

import (
	"net/http"

	"github.com/prometheus/prometheus/storage"
)

// backendReads are the Prometheus API routes that ReadThrough hands to the
// metrics backend: PromQL and the metadata calls. The rest (rules, alerts,
// status, format/parse) stay the collector's own.
var backendReads = map[string]bool{
	"/query": true, "/query_range": true, "/series": true, "/labels": true, "/label/:name/values": true,
}

// ReadThrough makes the query and metadata routes of the Prometheus API
// answer from backend (storage.metrics: remote: the backend evaluates
// PromQL; the embedded TSDB is not consulted). Access control, the query
// gate and instrumentation stay in front of it. Call it before Serve.
func (s *Server) ReadThrough(backend http.Handler) { s.backend.Store(&backend) }

// StatusThrough makes /api/v1/status/tsdb answer from backend
// (storage.metrics: remote: the statistics of the store that holds the
// series, not of the embedded TSDB); the limit is checked here first.
func (s *Server) StatusThrough(backend http.Handler) { s.backendStatus.Store(&backend) }

func (s *Server) viaBackend(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b := s.backend.Load(); b != nil {
			(*b).ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// limiterQueryable is where the series limits count a metric's existing
// series: a store may name a local one (remote mode: the local cache), so
// that ingest does not wait on a remote backend.
func (s *Server) limiterQueryable() storage.Queryable {
	if b := s.store.Load(); b != nil {
		if l, ok := b.Store.(interface{ LimiterQueryable() storage.Queryable }); ok {
			return l.LimiterQueryable()
		}
	}
	return storeProxy{s}
}
