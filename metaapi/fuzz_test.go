package metaapi_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/metaapi"
	"github.com/mlectl/mlectl/registry"
)

// FuzzRequestBodies sends arbitrary bodies to every mutating route of a
// fresh service (so coverage does not depend on earlier inputs): the API
// must answer with a client error or success, never a 500, and the audit
// chain must stay intact.
func FuzzRequestBodies(f *testing.F) {
	for _, seed := range []string{
		`{"reason":"drift"}`, `{"version":"v1","reason":"x","dry_run":true}`, `{"traffic_percent":10,"version":"v2"}`,
		`{"version":"v9","artifact_uri":"s3://x","sha256":"` + sha('a') + `","baseline":"b"}`,
		`{"actuator":{"kind":"file","path":"/tmp/x"}}`, `{"kind":"annotation","model":"fraud","text":"t"}`,
		`{"vars":{"model":"fraud"},"dry_run":true}`, `{"traffic_percent":1e400}`, `[]`, `null`, `{"reason":"\u0000"}`,
	} {
		f.Add([]byte(seed))
	}
	routes := []string{
		"PUT /api/v1/models/fuzz", "POST /api/v1/models/fraud/versions", "POST /api/v1/models/fraud/rollback",
		"POST /api/v1/models/fraud/promote", "POST /api/v1/models/fraud/traffic", "POST /api/v1/events",
		"POST /api/v1/runbooks/feature-drift/steps/5", "POST /api/v1/models/fraud/versions/v2/archive",
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx := context.Background()
		svc, err := metaapi.Open(ctx, metaapi.Config{Dir: t.TempDir(), Auth: testTokens})
		if err != nil {
			t.Fatal(err)
		}
		defer svc.Close()
		if _, err := svc.Registry.PutModel(ctx, registry.Model{Name: "fraud", Actuator: actuator.Config{Kind: "file", Path: filepath.Join(t.TempDir(), "r.json")}}, "t"); err != nil {
			t.Fatal(err)
		}
		for _, v := range []registry.Version{
			{Model: "fraud", Version: "v1", ArtifactURI: "s3://m/v1", SHA256: sha('a'), Baseline: "b", Stage: "production"},
			{Model: "fraud", Version: "v2", ArtifactURI: "s3://m/v2", SHA256: sha('b'), Baseline: "b", Stage: "shadow"},
		} {
			if _, err := svc.Registry.Register(ctx, v, "t"); err != nil {
				t.Fatal(err)
			}
		}
		h := svc.Handler()
		for _, rt := range routes {
			method, path, _ := bytes.Cut([]byte(rt), []byte(" "))
			r := httptest.NewRequest(string(method), string(path), bytes.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+adminToken)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code >= 500 && w.Code != http.StatusBadGateway && w.Code != http.StatusNotImplemented {
				t.Fatalf("%s with %q: %d %s", rt, body, w.Code, w.Body)
			}
		}
		rep, err := svc.Audit.Verify(ctx)
		if err != nil || !rep.OK || rep.Entries != uint64(len(routes)) {
			t.Fatalf("audit chain: %v %+v", err, rep)
		}
	})
}
