package api

import (
	"fmt"
	"sync"
	"time"

	"github.com/mlectl/mlectl/predlog"
	"github.com/mlectl/mlectl/predlog/baseline"
)

// DefaultMaxFeatureTSSkew is Limits.MaxFeatureTSSkew's default: a feature
// computed later than the prediction plus this is a clock or client bug.
const DefaultMaxFeatureTSSkew = time.Minute

// knownFeatures remembers the feature names of every model version's
// training profile, so that explanations and feature times may name a
// feature the record itself does not carry.
type knownFeatures struct {
	mu    sync.RWMutex
	names map[string]map[string]struct{} // baselineKey -> feature names
}

func (k *knownFeatures) SetBaseline(p *baseline.Profile) error {
	set := make(map[string]struct{}, len(p.Features))
	for i := range p.Features {
		set[p.Features[i].Name] = struct{}{}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.names == nil {
		k.names = map[string]map[string]struct{}{}
	}
	k.names[baselineKey(p.Model, p.Version)] = set
	return nil
}

func (k *knownFeatures) has(model, version, name string) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	_, ok := k.names[baselineKey(model, version)][name]
	return ok
}

// knows reports whether name is a feature of r: one it carries, or one of
// its model version's training profile.
func (h *Handler) knows(r *predlog.Record, name string) bool {
	for i := range r.Features {
		if r.Features[i].Name == name {
			return true
		}
	}
	return h.known.has(r.Model, r.Version, name)
}

// checkExtras refuses explanations and feature times that name no feature
// of the record (a typo would otherwise become a series of its own) and
// feature times later than the prediction plus Limits.MaxFeatureTSSkew.
// The decoder already refused non-finite contributions and unparsable
// times; what is left needs the model's baseline, which it does not see.
func (h *Handler) checkExtras(r *predlog.Record) error {
	for _, x := range r.Explanations {
		if !h.knows(r, x.Name) {
			return &predlog.FieldError{Field: "explanations." + x.Name, Msg: fmt.Sprintf("unknown feature: %q is neither in the record's features nor in the baseline of %s/%s", x.Name, r.Model, r.Version)}
		}
	}
	skew := h.cfg.Limits.MaxFeatureTSSkew
	for _, ft := range r.FeatureTS {
		if !h.knows(r, ft.Name) {
			return &predlog.FieldError{Field: "feature_ts." + ft.Name, Msg: fmt.Sprintf("unknown feature: %q is neither in the record's features nor in the baseline of %s/%s", ft.Name, r.Model, r.Version)}
		}
		if skew >= 0 && ft.TS > r.TS+skew.Milliseconds() {
			return &predlog.FieldError{Field: "feature_ts." + ft.Name, Msg: fmt.Sprintf("in_future: %s is more than %s after the prediction (%s)",
				time.UnixMilli(ft.TS).UTC().Format(time.RFC3339Nano), skew, r.Time().Format(time.RFC3339Nano))}
		}
	}
	return nil
}
