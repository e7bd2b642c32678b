package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mlectl/mlectl/api"
)

// Role orders what a caller may do.
type Role int

// Roles, weakest first. RoleNone is an unauthenticated caller. RoleIngest
// may read and write data (remote write, predictions, feedback, baselines,
// contracts) but not act on models; it is the role of a sender such as
// Prometheus or a model server.
const (
	RoleNone Role = iota
	RoleViewer
	RoleIngest
	RoleResponder
	RoleAdmin
)

func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleIngest:
		return "ingest"
	case RoleResponder:
		return "responder"
	case RoleAdmin:
		return "admin"
	}
	return "none"
}

// ParseRole parses viewer, ingest, responder or admin.
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "viewer":
		return RoleViewer, nil
	case "ingest":
		return RoleIngest, nil
	case "responder":
		return RoleResponder, nil
	case "admin":
		return RoleAdmin, nil
	}
	return RoleNone, fmt.Errorf("role %q is not one of viewer, ingest, responder, admin", s)
}

// Modes of the `auth:` configuration key.
const (
	ModeDefault  = "default"
	ModeDisabled = "disabled"
	ModeStrict   = "strict"
)

// Ingest modes (the collector's `ingest_auth:` key): who may send data.
const (
	// IngestOpen accepts data from anyone who reaches the port, like
	// Prometheus's own receiver (the default).
	IngestOpen = "open"
	// IngestToken requires a bearer token of role ingest or higher.
	IngestToken = "token"
)

// Metrics modes (the collector's `metrics_auth:` key): who may scrape
// /metrics.
const (
	// MetricsOpen serves /metrics to anyone, like Prometheus's own /metrics.
	MetricsOpen = "open"
	// MetricsToken requires a bearer token of role viewer or higher.
	MetricsToken = "token"
)

// ParseMetrics validates a `metrics_auth:` value; "" means the mode's
// default (token under auth: strict, open otherwise) and is kept as "".
func ParseMetrics(s string) (string, error) {
	switch s {
	case "", MetricsOpen, MetricsToken:
		return s, nil
	}
	return "", fmt.Errorf("metrics_auth: %q is not one of open, token", s)
}

// ParseIngest validates an `ingest_auth:` value; "" is IngestOpen.
func ParseIngest(s string) (string, error) {
	switch s {
	case "", IngestOpen:
		return IngestOpen, nil
	case IngestToken:
		return IngestToken, nil
	}
	return "", fmt.Errorf("ingest_auth: %q is not one of open, token", s)
}

// TokenSpec is one entry of the `tokens:` configuration list. Exactly one of
// Token, TokenFile and SHA256 gives the secret.
type TokenSpec struct {
	Name      string `yaml:"name" json:"name"`
	Token     string `yaml:"token,omitempty" json:"token,omitempty"`
	TokenFile string `yaml:"token_file,omitempty" json:"token_file,omitempty"`
	SHA256    string `yaml:"sha256,omitempty" json:"sha256,omitempty"`
	Role      string `yaml:"role" json:"role"`
	// Delegate lets the token's caller name the person it acts for in the
	// HeaderActingFor header (an SSH gateway acting for the key's owner);
	// the audit log, events and timeline then record "NAME via TOKEN".
	// Every other token that sends the header is refused with 403.
	Delegate bool `yaml:"delegate,omitempty" json:"delegate,omitempty"`
}

// Config is the access-control part of the collector configuration.
type Config struct {
	Mode string `yaml:"auth,omitempty" json:"auth,omitempty"`
	// Ingest is IngestOpen ("" too) or IngestToken; see RequireIngest.
	Ingest string `yaml:"ingest_auth,omitempty" json:"ingest_auth,omitempty"`
	// Metrics is MetricsOpen, MetricsToken or "" (token under strict, open
	// otherwise); see MetricsNeed.
	Metrics string      `yaml:"metrics_auth,omitempty" json:"metrics_auth,omitempty"`
	Tokens  []TokenSpec `yaml:"tokens,omitempty" json:"tokens,omitempty"`
}

// Principal is who made a request.
type Principal struct {
	// Name is who acted, as the audit log, events and timeline record it:
	// the token's name, or "PERSON via TOKEN" when a delegating token acts
	// for a person (see ActingFor).
	Name string
	Role Role
	// ActingFor and Via are set when a delegating token acted for someone:
	// the person (from HeaderActingFor) and the token's name.
	ActingFor string
	Via       string
}

// HeaderActingFor is the request header a delegating token names its
// person in (api.HeaderActingFor).
const HeaderActingFor = api.HeaderActingFor

// Anonymous is the principal of a request without a token.
const Anonymous = "anonymous"

type token struct {
	name     string
	role     Role
	delegate bool
	digest   [sha256.Size]byte
}

// Authenticator resolves bearer tokens to principals. Immutable after New.
type Authenticator struct {
	mode    string
	ingest  string
	metrics string
	tokens  []token
	// anonLimit rate-limits refused unauthenticated mutations per source
	// address (the only state that changes after New; it locks itself).
	anonLimit *sourceLimiter
}

// New validates cfg. Relative token_file paths resolve against baseDir (the
// directory of the configuration file).
func New(cfg Config, baseDir string) (*Authenticator, error) {
	a := &Authenticator{mode: cfg.Mode, anonLimit: newSourceLimiter(AnonMutationBurst, AnonMutationRate, nil)}
	switch cfg.Mode {
	case "", ModeDefault:
		a.mode = ModeDefault
	case ModeDisabled, ModeStrict:
	default:
		return nil, fmt.Errorf("auth: %q is not one of default, strict, disabled", cfg.Mode)
	}
	ingest, err := ParseIngest(cfg.Ingest)
	if err != nil {
		return nil, err
	}
	if ingest == IngestToken && a.mode == ModeDisabled {
		return nil, errors.New("ingest_auth: token needs token checks, but auth: disabled turns every check off; remove one of them")
	}
	a.ingest = ingest
	metrics, err := ParseMetrics(cfg.Metrics)
	if err != nil {
		return nil, err
	}
	switch {
	case metrics == MetricsToken && a.mode == ModeDisabled:
		return nil, errors.New("metrics_auth: token needs token checks, but auth: disabled turns every check off; remove one of them")
	case metrics == "" && a.mode == ModeStrict:
		metrics = MetricsToken
	case metrics == "":
		metrics = MetricsOpen
	}
	a.metrics = metrics
	seen := map[string]bool{}
	for i, s := range cfg.Tokens {
		if s.Name == "" {
			return nil, fmt.Errorf("tokens[%d].name is empty", i)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("tokens[%d].name %q is used twice", i, s.Name)
		}
		seen[s.Name] = true
		role, err := ParseRole(s.Role)
		if err != nil {
			return nil, fmt.Errorf("tokens[%d] (%s): %w", i, s.Name, err)
		}
		t := token{name: s.Name, role: role, delegate: s.Delegate}
		n := 0
		if s.Token != "" {
			n++
			t.digest = sha256.Sum256([]byte(s.Token))
		}
		if s.TokenFile != "" {
			n++
			p := s.TokenFile
			if !filepath.IsAbs(p) && baseDir != "" {
				p = filepath.Join(baseDir, p)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("tokens[%d] (%s).token_file: %w", i, s.Name, err)
			}
			secret := strings.TrimSpace(string(b))
			if secret == "" {
				return nil, fmt.Errorf("tokens[%d] (%s).token_file %s is empty", i, s.Name, p)
			}
			t.digest = sha256.Sum256([]byte(secret))
		}
		if s.SHA256 != "" {
			n++
			b, err := hex.DecodeString(strings.TrimSpace(s.SHA256))
			if err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("tokens[%d] (%s).sha256 is not 64 hex digits", i, s.Name)
			}
			copy(t.digest[:], b)
		}
		if n != 1 {
			return nil, fmt.Errorf("tokens[%d] (%s): set exactly one of token, token_file, sha256 (got %d)", i, s.Name, n)
		}
		a.tokens = append(a.tokens, t)
	}
	return a, nil
}

// Mode returns the effective mode.
func (a *Authenticator) Mode() string { return a.mode }

// Ingest returns the effective ingest mode: IngestOpen or IngestToken.
func (a *Authenticator) Ingest() string { return a.ingest }

// Metrics returns the effective metrics mode: MetricsOpen or MetricsToken.
func (a *Authenticator) Metrics() string { return a.metrics }

// MetricsNeed is the role /metrics needs: RoleNone (open to anyone) under
// MetricsOpen, RoleViewer under MetricsToken.
func (a *Authenticator) MetricsNeed() Role {
	if a.metrics == MetricsToken {
		return RoleViewer
	}
	return RoleNone
}

// Errors of Identify.
var (
	ErrUnknownToken = errors.New("unknown API token")
	ErrMalformed    = errors.New("Authorization header is not \"Bearer <token>\"")
	// ErrNotDelegating: the caller named someone to act for, but its token
	// (or the lack of one) is not configured with delegate: true. Decide
	// answers 403.
	ErrNotDelegating = errors.New("acting for someone else (" + HeaderActingFor + ") needs a token configured with delegate: true")
	// ErrActingForName: the acting-for name is not a plain name. Decide
	// answers 400.
	ErrActingForName = errors.New(HeaderActingFor + " is not a name of 1 to 64 letters, digits and . _ - @")
)

// Identify resolves the request's bearer token. A request without one is
// Anonymous with RoleNone (RoleAdmin when auth is disabled).
//
// A request with HeaderActingFor is identified as that person via the
// token when the token is a delegating one; from any other caller it is
// an error wrapping ErrNotDelegating, so nobody writes someone else's name
// into the audit log. Under auth: disabled no check refuses anything: a
// delegating token's acting-for name is recorded, any other is ignored.
func (a *Authenticator) Identify(r *http.Request) (Principal, error) {
	actFor, hasActFor := actingFor(r)
	if a.mode == ModeDisabled {
		p := Principal{Name: Anonymous, Role: RoleAdmin}
		if t := a.lookup(r); t != nil && t.delegate && hasActFor && validActingFor(actFor) {
			p = delegated(actFor, t.name, RoleAdmin)
		}
		return p, nil
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		if hasActFor {
			return Principal{Name: Anonymous}, fmt.Errorf("%w; this request has no token", ErrNotDelegating)
		}
		return Principal{Name: Anonymous, Role: RoleNone}, nil
	}
	scheme, secret, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return Principal{Name: Anonymous}, ErrMalformed
	}
	found := a.lookup(r)
	if found == nil {
		return Principal{Name: Anonymous}, ErrUnknownToken
	}
	p := Principal{Name: found.name, Role: found.role}
	switch {
	case !hasActFor:
		return p, nil
	case !found.delegate:
		return p, fmt.Errorf("%w; token %q is not one, so it may not act for %q", ErrNotDelegating, found.name, actFor)
	case !validActingFor(actFor):
		return p, fmt.Errorf("%w: %q", ErrActingForName, actFor)
	}
	return delegated(actFor, found.name, found.role), nil
}

// lookup returns the configured token the request's bearer token is, or
// nil (none, malformed or unknown).
func (a *Authenticator) lookup(r *http.Request) *token {
	scheme, secret, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return nil
	}
	d := sha256.Sum256([]byte(strings.TrimSpace(secret)))
	var found *token
	// Compare against every token so timing does not reveal which matched.
	for i := range a.tokens {
		if subtle.ConstantTimeCompare(d[:], a.tokens[i].digest[:]) == 1 && found == nil {
			found = &a.tokens[i]
		}
	}
	return found
}

func delegated(person, via string, role Role) Principal {
	return Principal{Name: person + " via " + via, Role: role, ActingFor: person, Via: via}
}

// actingFor returns the request's acting-for name and whether it sent the
// header at all (an empty or repeated header counts as sent: it is
// refused as a bad name, not ignored).
func actingFor(r *http.Request) (string, bool) {
	vs := r.Header.Values(HeaderActingFor)
	switch len(vs) {
	case 0:
		return "", false
	case 1:
		return strings.TrimSpace(vs[0]), true
	}
	return strings.Join(vs, ","), true
}

// validActingFor reports whether name may be recorded as a person: 1 to
// api.MaxActingForLen letters, digits and . _ - @ (no spaces, so
// "a via b" cannot be forged from a name).
func validActingFor(name string) bool {
	if name == "" || len(name) > api.MaxActingForLen {
		return false
	}
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-', c == '@':
		default:
			return false
		}
	}
	return true
}

// ValidActingFor reports whether name can be sent as an acting-for name
// (what sshserve checks keys.yaml's user names against).
func ValidActingFor(name string) bool { return validActingFor(name) }

// Decide returns the HTTP status that refuses p for an action needing need,
// with a message, or 0 when p may proceed. need RoleNone is a public
// endpoint (/-/healthy, an open /metrics): everyone proceeds.
func (a *Authenticator) Decide(p Principal, idErr error, need Role) (int, string) {
	if a.mode == ModeDisabled || need == RoleNone {
		return 0, ""
	}
	switch {
	case errors.Is(idErr, ErrNotDelegating):
		return http.StatusForbidden, idErr.Error()
	case errors.Is(idErr, ErrActingForName):
		return http.StatusBadRequest, idErr.Error()
	case idErr != nil:
		return http.StatusUnauthorized, idErr.Error()
	}
	if need <= RoleViewer && a.mode != ModeStrict && p.Role == RoleNone {
		return 0, ""
	}
	if p.Role == RoleNone {
		if len(a.tokens) == 0 && need == RoleIngest {
			return http.StatusUnauthorized, "ingest_auth: token is set but no API tokens are configured: add a token with role ingest to tokens: in the collector configuration"
		}
		if len(a.tokens) == 0 {
			return http.StatusUnauthorized, "no API tokens are configured: add tokens: to the collector configuration (or set auth: disabled on a trusted network)"
		}
		return http.StatusUnauthorized, fmt.Sprintf("this call needs an API token with role %s or higher (Authorization: Bearer <token>)", need)
	}
	if p.Role < need {
		return http.StatusForbidden, fmt.Sprintf("token %q has role %s; this call needs %s or higher", p.Name, p.Role, need)
	}
	return 0, ""
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal stored by Require (Anonymous if none).
func FromContext(ctx context.Context) Principal {
	if p, ok := ctx.Value(ctxKey{}).(Principal); ok {
		return p
	}
	return Principal{Name: Anonymous}
}

// Refusal is called when a request is refused, e.g. to audit it.
type Refusal func(r *http.Request, p Principal, status int, msg string)

// Admit decides whether r may proceed to an action needing need. When it
// may, Admit returns r carrying the caller's principal (see FromContext) and
// true. When not, Admit has answered with a JSON error in the Prometheus
// envelope shape (401 with a WWW-Authenticate challenge, 403, or 429 for a
// source address that sends too many unauthenticated mutations), called
// onRefuse (may be nil), and returns false.
func (a *Authenticator) Admit(w http.ResponseWriter, r *http.Request, need Role, onRefuse Refusal) (*http.Request, bool) {
	return a.admit(w, r, need, false, onRefuse)
}

// AdmitMetrics is Admit for /metrics: anyone under MetricsOpen; under
// MetricsToken a token of role viewer or higher, whatever the auth mode
// (except disabled, which New refuses beside MetricsToken).
func (a *Authenticator) AdmitMetrics(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	return a.admit(w, r, a.MetricsNeed(), true, nil)
}

// admit is Admit; tokenRequired refuses anonymous callers even where the
// mode lets them read.
func (a *Authenticator) admit(w http.ResponseWriter, r *http.Request, need Role, tokenRequired bool, onRefuse Refusal) (*http.Request, bool) {
	if need == RoleNone {
		return r, true
	}
	p, err := a.Identify(r)
	status, msg := a.Decide(p, err, need)
	if status == 0 && tokenRequired && p.Role == RoleNone && a.mode != ModeDisabled {
		status, msg = http.StatusUnauthorized, fmt.Sprintf("metrics_auth: token: this call needs an API token with role %s or higher (Authorization: Bearer <token>)", need)
	}
	if status == 0 {
		return r.WithContext(WithPrincipal(r.Context(), p)), true
	}
	if status == http.StatusUnauthorized && mutating(r.Method) && need > RoleIngest {
		// Each refusal costs an audit write; a source that keeps sending
		// mutations without a valid token is slowed down (ingest senders
		// are not: their refusals are not audited).
		if ok, retry := a.anonLimit.allow(SourceAddr(r)); !ok {
			status = http.StatusTooManyRequests
			msg = fmt.Sprintf("too many unauthenticated changes from %s (see Retry-After); %s", SourceAddr(r), msg)
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mlectl"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"status":"error","errorType":%q,"error":%q}`+"\n", http.StatusText(status), msg)
	if onRefuse != nil {
		onRefuse(r, p, status, msg)
	}
	return r, false
}

// Require wraps h so that it runs only for callers with role need or higher;
// see Admit for what a refused caller gets. onRefuse may be nil.
func (a *Authenticator) Require(need Role, h http.Handler, onRefuse Refusal) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r, ok := a.Admit(w, r, need, onRefuse); ok {
			h.ServeHTTP(w, r)
		}
	})
}

func mutating(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// RequireIngest guards a data-ingest endpoint (remote write, predictions,
// feedback, baseline and contract uploads). With IngestOpen it returns h
// itself, so open ingest pays nothing; with IngestToken it is
// Require(RoleIngest, ...): no or an unknown token is a 401, a viewer token
// a 403. Refusals are not meant for the audit log (a misconfigured sender
// would flood it); the collector's request counter counts them by code.
func (a *Authenticator) RequireIngest(h http.Handler, onRefuse Refusal) http.Handler {
	if a.ingest != IngestToken {
		return h
	}
	return a.Require(RoleIngest, h, onRefuse)
}
