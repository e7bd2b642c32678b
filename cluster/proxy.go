package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/mlectl/mlectl/internal/apienv"
)

// Headers and parameters of forwarded calls.
const (
	// HeaderForwardedBy marks a call one collector forwarded to another
	// (its value: the sender's name). A forwarded call is always served
	// where it arrives, so collectors whose configurations disagree
	// cannot bounce a call between them.
	HeaderForwardedBy = "Mlectl-Forwarded-By"
	// HeaderServedBy names the collector that served a forwarded call.
	HeaderServedBy = "Mlectl-Served-By"
	// ParamCollector (?collector=NAME) sends any call to the named
	// collector: the audit log, runbooks or alerts of another collector.
	ParamCollector = "collector"
)

// maxPeekBytes is how much of a body Proxy reads to find the model it
// names (events, runbook steps, game-day injections: small JSON objects).
const maxPeekBytes = 1 << 20

// ModelOf finds the model a request is about ("" for none).
type ModelOf func(r *http.Request) string

// ByPath reads the model from the route's {model} path value.
func ByPath(r *http.Request) string { return r.PathValue("model") }

// ByQuery reads the model from the model parameter.
func ByQuery(r *http.Request) string { return r.URL.Query().Get("model") }

// ByBody reads the model from a JSON body's "model" field, or a runbook
// step's vars.model; the body is put back for the handler.
func ByBody(r *http.Request) string {
	if r.Body == nil {
		return ""
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxPeekBytes+1))
	rest := r.Body
	r.Body = readCloser{io.MultiReader(bytes.NewReader(b), rest), rest}
	if err != nil || len(b) > maxPeekBytes {
		return "" // the handler answers the broken or oversized body
	}
	var v struct {
		Model string            `json:"model"`
		Vars  map[string]string `json:"vars"`
	}
	if json.Unmarshal(b, &v) != nil {
		return ""
	}
	if v.Model != "" {
		return v.Model
	}
	return v.Vars["model"]
}

type readCloser struct {
	io.Reader
	io.Closer
}

// Proxy forwards a model's calls to the collector that owns it.
type Proxy struct {
	dir    *Directory
	logger *slog.Logger
	rp     *httputil.ReverseProxy
}

type targetKey struct{}

type target struct {
	member Member
	model  string // "" when routed by ?collector=
	base   *url.URL
}

// NewProxy builds the proxy of dir's cluster: connecting to the owner
// times out after cluster.timeout, its answer after
// cluster.forward_timeout without response headers (the body then
// streams); the caller going away cancels the call.
func NewProxy(dir *Directory, logger *slog.Logger) *Proxy {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	transport := &http.Transport{
		Proxy:                 nil, // collectors talk directly
		DialContext:           (&net.Dialer{Timeout: dir.cfg.timeout(), KeepAlive: 30 * time.Second}).DialContext,
		ResponseHeaderTimeout: dir.cfg.forwardTimeout(),
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
	}
	p := &Proxy{dir: dir, logger: logger}
	self := dir.cfg.Name
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			t := pr.In.Context().Value(targetKey{}).(*target)
			pr.SetURL(t.base)
			pr.SetXForwarded()
			q := pr.Out.URL.Query()
			if q.Has(ParamCollector) {
				q.Del(ParamCollector)
				pr.Out.URL.RawQuery = q.Encode()
			}
			// Authorization travels unchanged: the owner authenticates
			// and audits the real caller.
			pr.Out.Header.Set(HeaderForwardedBy, self)
		},
		Transport: transport,
		ModifyResponse: func(resp *http.Response) error {
			t := resp.Request.Context().Value(targetKey{}).(*target)
			resp.Header.Set(HeaderServedBy, t.member.Name)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			t := r.Context().Value(targetKey{}).(*target)
			if errors.Is(err, context.Canceled) {
				return // the caller went away
			}
			p.logger.Warn("forwarding a call to its collector failed", "collector", t.member.Name, "url", t.member.URL, "path", r.URL.Path, "err", err)
			apienv.ErrorOfType(w, http.StatusServiceUnavailable, "unavailable", UnreachableMessage(t.member, t.model, err))
		},
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return p
}

// UnreachableMessage is the answer for a call whose collector did not
// answer: it names the collector and its URL.
func UnreachableMessage(m Member, model string, err error) string {
	if model != "" {
		return fmt.Sprintf("model %q is owned by collector %s (%s), which is unreachable: %v", model, m.Name, m.URL, err)
	}
	return fmt.Sprintf("collector %s (%s) is unreachable: %v", m.Name, m.URL, err)
}

// Wrap serves h here for the models this collector owns and forwards
// the rest to their owners; modelOf finds a request's model (nil: only
// ?collector= routes). A call already forwarded is served here.
func (p *Proxy) Wrap(h http.Handler, modelOf ModelOf) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(HeaderForwardedBy) != "" {
			h.ServeHTTP(w, r)
			return
		}
		if name := r.URL.Query().Get(ParamCollector); name != "" {
			m, ok := p.dir.Member(name)
			if !ok {
				apienv.Error(w, http.StatusNotFound, fmt.Sprintf("parameter collector: %q is not a collector of this cluster (this one is %s)", name, p.dir.cfg.Name))
				return
			}
			if m.Name == p.dir.cfg.Name {
				q := r.URL.Query()
				q.Del(ParamCollector)
				r.URL.RawQuery = q.Encode()
				h.ServeHTTP(w, r)
				return
			}
			p.forward(w, r, m, "")
			return
		}
		if modelOf == nil {
			h.ServeHTTP(w, r)
			return
		}
		model := modelOf(r)
		if model == "" {
			h.ServeHTTP(w, r)
			return
		}
		owner, err := p.dir.Owner(model)
		if err != nil {
			apienv.Error(w, http.StatusNotFound, err.Error())
			return
		}
		if owner.Name == p.dir.cfg.Name {
			h.ServeHTTP(w, r)
			return
		}
		p.forward(w, r, owner, model)
	})
}

func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, m Member, model string) {
	base, err := url.Parse(m.URL)
	if err != nil {
		apienv.Error(w, http.StatusInternalServerError, fmt.Sprintf("collector %s has an unusable URL %q: %v", m.Name, m.URL, err))
		return
	}
	ctx := context.WithValue(r.Context(), targetKey{}, &target{member: m, model: model, base: base})
	p.rp.ServeHTTP(w, r.WithContext(ctx))
}
