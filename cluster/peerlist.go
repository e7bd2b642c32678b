package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/mlectl/mlectl/internal/apienv"
)

// fetchPeerList GETs path from peer as this collector (self) on the
// caller's behalf (header: the caller's headers the peer needs) and
// returns the data of its success envelope. what names the list in
// errors ("models list"). A peer without the route (404) is an empty
// list when notFoundEmpty (a collector without that engine), else an error.
func fetchPeerList[T any](ctx context.Context, client *http.Client, self string, peer Member, path string, header http.Header, what string, notFoundEmpty bool) ([]T, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, peer.URL+path, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set(HeaderForwardedBy, self)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("collector %s (%s) is unreachable: %w", peer.Name, peer.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxListBytes))
	if err != nil {
		return nil, fmt.Errorf("collector %s (%s): reading its %s: %w", peer.Name, peer.URL, what, err)
	}
	if resp.StatusCode == http.StatusNotFound && notFoundEmpty {
		return nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		var env apienv.Envelope
		_ = json.Unmarshal(body, &env)
		return nil, fmt.Errorf("collector %s (%s) answered %s: %s", peer.Name, peer.URL, resp.Status, env.Error)
	}
	list, err := decodeData[T](body)
	if err != nil {
		return nil, fmt.Errorf("collector %s (%s): its %s: %w", peer.Name, peer.URL, what, err)
	}
	return list, nil
}

// decodeData is the data of a success envelope holding a list.
func decodeData[T any](b []byte) ([]T, error) {
	var env struct {
		Status string `json:"status"`
		Data   []T    `json:"data"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, err
	}
	if env.Status != "success" {
		return nil, fmt.Errorf("status %q", env.Status)
	}
	return env.Data, nil
}

// wrapLocalList serves local's list, merged with the peers' by merge,
// around local. A forwarded call (a peer asking for this collector's
// list) gets local's answer alone, and so does a call local refused (a
// token) or failed: its answer goes back as it was.
func wrapLocalList[T any](local http.Handler, merge func(w http.ResponseWriter, r *http.Request, own []T)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(HeaderForwardedBy) != "" {
			local.ServeHTTP(w, r)
			return
		}
		rec := &recorder{header: http.Header{}, code: http.StatusOK}
		local.ServeHTTP(rec, r)
		own, err := decodeData[T](rec.body.Bytes())
		if rec.code != http.StatusOK || err != nil {
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.code)
			_, _ = w.Write(rec.body.Bytes())
			return
		}
		merge(w, r, own)
	})
}
