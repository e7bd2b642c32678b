package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/registry"
	"github.com/mlectl/mlectl/sim"
)

// routePath is where the demo's stand-in model server takes routing changes
// from the webhook actuator, as an Argo Rollouts or KServe controller would.
const routePath = "/demo/route"

// handleRoute applies a routing change sent by the webhook actuator.
func (d *Demo) handleRoute(w http.ResponseWriter, r *http.Request) {
	var req actuator.Request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad routing request: "+err.Error(), http.StatusBadRequest)
		return
	}
	for _, rt := range req.Routes {
		if rt.Stage == string(registry.StageProduction) && rt.Weight > 0 {
			if err := d.Sim.SetProduction(req.Model, rt.Version); err != nil {
				http.Error(w, err.Error(), http.StatusNotFound)
				return
			}
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// registerVersions registers each model's previous, current and shadow
// versions so that the current one is production with the previous one in
// its history (what a rollback returns to).
func (d *Demo) registerVersions(ctx context.Context) error {
	const actor = "demo"
	// The rollout happened before the backfilled history: v12 has served
	// production for all of it (the shadow comparison starts there).
	d.clockBack.Store(int64(d.opts.Backfill + time.Minute))
	defer d.clockBack.Store(0)
	reg := d.srv.Meta.Registry
	for _, m := range d.Sim.Models() {
		if st, err := reg.Get(ctx, m.Name); err == nil && len(st.Versions) > 0 {
			continue // a reused data dir keeps its registry
		}
		current := m.Production
		register := func(version string, stage registry.Stage, created time.Time) error {
			sum := sha256.Sum256([]byte(m.Name + "/" + version))
			_, err := reg.Register(ctx, registry.Version{
				Model: m.Name, Version: version,
				ArtifactURI: fmt.Sprintf("s3://models/%s/%s/model.json", m.Name, version),
				SHA256:      hex.EncodeToString(sum[:]), Owner: "ml-platform", CreatedAt: created,
				Baseline: fmt.Sprintf("profiles/%s.csv", profileName(m)), Stage: stage,
			}, actor)
			return err
		}
		now := time.Now()
		if err := register(m.Previous, registry.StageProduction, now.Add(-14*24*time.Hour)); err != nil {
			return fmt.Errorf("demo: register %s %s: %w", m.Name, m.Previous, err)
		}
		if err := register(current, registry.StageShadow, now.Add(-2*24*time.Hour)); err != nil {
			return fmt.Errorf("demo: register %s %s: %w", m.Name, current, err)
		}
		if _, err := reg.Act(ctx, registry.ActionRequest{
			Action: registry.ActionPromote, Model: m.Name, Version: current, Actor: actor, Reason: "demo rollout",
		}); err != nil {
			return fmt.Errorf("demo: promote %s %s: %w", m.Name, current, err)
		}
		if m.Shadow != "" {
			if err := register(m.Shadow, registry.StageShadow, now.Add(-6*time.Hour)); err != nil {
				return fmt.Errorf("demo: register %s %s: %w", m.Name, m.Shadow, err)
			}
		}
	}
	return nil
}

func profileName(m *sim.Model) string {
	if m.Target == "cnt" {
		return "bike_hour"
	}
	return "adult"
}
