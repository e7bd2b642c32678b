package api

// ModelCollector is the collector that owns a model, on each entry of
// GET /api/v1/models when the collector is one of a cluster (absent
// otherwise). Reachable is false when the owner did not answer this
// listing: the entry is then the last one seen from it, or the name alone,
// and Error says what failed.
type ModelCollector struct {
	Name      string `json:"name"`
	URL       string `json:"url"`
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
}
