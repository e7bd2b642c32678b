package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mlectl/mlectl/api"
)

// DefaultURL is where a local collector listens.
const DefaultURL = "http://127.0.0.1:9710"

// maxBody caps how much of an answer is read, so a misbehaving server
// cannot exhaust the console's memory.
const maxBody = 64 << 20

// DefaultTimeout bounds one call when the caller's HTTP client sets none
// of its own; the caller's context can end it sooner.
const DefaultTimeout = 10 * time.Second

// Client talks to one collector. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	token     string
	actingFor string
	hc        *http.Client
	operator  bool
}

type options struct {
	token     string
	actingFor string
	hc        *http.Client
	operator  bool
}

// Option configures a Client.
type Option func(*options)

// WithToken sends "Authorization: Bearer <token>" with every request.
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithActingFor sends name as the person the token acts for
// (api.HeaderActingFor) with every request, as the SSH console does with
// the session key's name. The collector accepts it only from a token
// configured with delegate: true and then records "NAME via TOKEN"; any
// other token gets 403. See also ContextWithActingFor.
func WithActingFor(name string) Option { return func(o *options) { o.actingFor = name } }

type ctxKeyActingFor struct{}

// ContextWithActingFor returns ctx carrying name: every request made with
// it (by any Client without WithActingFor) names that person, as
// WithActingFor does. The SSH server runs command-line commands this way.
func ContextWithActingFor(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, ctxKeyActingFor{}, name)
}

// ActingForFrom returns the name ContextWithActingFor put in ctx ("" for
// none).
func ActingForFrom(ctx context.Context) string {
	name, _ := ctx.Value(ctxKeyActingFor{}).(string)
	return name
}

// WithOperatorErrors words the collector's refusals for a command line
// ("forbidden (403): …", "not authorized (401): … — pass --token or set
// MLECTL_TOKEN") and reports a route the collector does not serve as an
// *APIError saying so, where the console gets ErrNotConfigured.
func WithOperatorErrors() Option { return func(o *options) { o.operator = true } }

// WithTimeout bounds one call (DefaultTimeout otherwise); the command line
// uses minutes for actions that wait on an actuator and for exports.
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.hc = &http.Client{Timeout: d} }
}

// WithHTTPClient replaces the default HTTP client (DefaultTimeout).
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.hc = hc } }

// New returns a client for the collector at baseURL (scheme://host[:port][/prefix]).
func New(baseURL string, opts ...Option) (*Client, error) {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.hc == nil {
		o.hc = &http.Client{Timeout: DefaultTimeout}
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("collector URL %q must look like http://host:port", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{base: u, token: o.token, actingFor: o.actingFor, hc: o.hc, operator: o.operator}, nil
}

// URL returns the collector base URL, for display.
func (c *Client) URL() string { return c.base.String() }

// Host is the collector's host:port, for messages.
func (c *Client) Host() string { return c.base.Host }

// get performs one GET and returns the body and HTTP status. A 404 maps to
// ErrNotConfigured; transport failures are wrapped with the endpoint.
func (c *Client) get(ctx context.Context, path string, params url.Values) ([]byte, int, error) {
	body, status, err := c.send(ctx, http.MethodGet, path, params, nil)
	if err != nil {
		return nil, status, err
	}
	if status == http.StatusNotFound {
		return nil, status, fmt.Errorf("%s: %w", path, ErrNotConfigured)
	}
	return body, status, nil
}

// getData performs a GET on an /api/v1 endpoint and unwraps the envelope.
func (c *Client) getData(ctx context.Context, path string, params url.Values) (envelope, error) {
	body, status, err := c.get(ctx, path, params)
	if err != nil {
		return envelope{}, err
	}
	env, err := decodeEnvelope(body, status)
	if err != nil {
		var apiErr *APIError
		if !errors.As(err, &apiErr) && status/100 != 2 {
			// Not JSON at all (a proxy page, a plain-text 401): report the
			// HTTP status with the start of the body.
			return env, &APIError{StatusCode: status, Message: firstLine(body)}
		}
		return env, err
	}
	return env, nil
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func formatTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)
}

// Query evaluates an instant query at ts (the collector's "now" when ts is zero).
func (c *Client) Query(ctx context.Context, query string, ts time.Time) (Result, error) {
	p := url.Values{"query": {query}}
	if !ts.IsZero() {
		p.Set("time", formatTime(ts))
	}
	body, status, err := c.get(ctx, "/api/v1/query", p)
	if err != nil {
		return Result{}, err
	}
	return decodeQuery(body, status)
}

// Range is the time window and resolution of a range query.
type Range struct {
	Start, End time.Time
	Step       time.Duration
}

// QueryRange evaluates a range query.
func (c *Client) QueryRange(ctx context.Context, query string, r Range) (Result, error) {
	if r.Step <= 0 {
		return Result{}, fmt.Errorf("range query step must be positive, got %s", r.Step)
	}
	p := url.Values{
		"query": {query},
		"start": {formatTime(r.Start)},
		"end":   {formatTime(r.End)},
		"step":  {strconv.FormatFloat(r.Step.Seconds(), 'f', -1, 64)},
	}
	body, status, err := c.get(ctx, "/api/v1/query_range", p)
	if err != nil {
		return Result{}, err
	}
	return decodeQuery(body, status)
}

func decodeQuery(body []byte, status int) (Result, error) {
	res, err := DecodeQueryResponse(body, status)
	if err != nil {
		var apiErr *APIError
		if !errors.As(err, &apiErr) && status/100 != 2 {
			return Result{}, &APIError{StatusCode: status, Message: firstLine(body)}
		}
		return Result{}, err
	}
	return res, nil
}

func matchParams(matchers []string, start, end time.Time) url.Values {
	p := url.Values{}
	for _, m := range matchers {
		p.Add("match[]", m)
	}
	if !start.IsZero() {
		p.Set("start", formatTime(start))
	}
	if !end.IsZero() {
		p.Set("end", formatTime(end))
	}
	return p
}

// Series lists the label sets of series matching any of matchers.
func (c *Client) Series(ctx context.Context, matchers []string, start, end time.Time) ([]Metric, error) {
	var out []Metric
	return out, c.getInto(ctx, "/api/v1/series", matchParams(matchers, start, end), &out)
}

// Labels lists label names, optionally restricted to series matching matchers.
func (c *Client) Labels(ctx context.Context, matchers []string, start, end time.Time) ([]string, error) {
	var out []string
	return out, c.getInto(ctx, "/api/v1/labels", matchParams(matchers, start, end), &out)
}

// LabelValues lists the values of label name.
func (c *Client) LabelValues(ctx context.Context, name string, matchers []string, start, end time.Time) ([]string, error) {
	var out []string
	return out, c.getInto(ctx, "/api/v1/label/"+url.PathEscape(name)+"/values", matchParams(matchers, start, end), &out)
}

// BuildInfo is the collector's /api/v1/status/buildinfo answer.
type BuildInfo = api.BuildInfo

// TSDBStat is one "name: count" entry of the TSDB status.
type TSDBStat = api.TSDBStat

// TSDBStatus is the collector's /api/v1/status/tsdb answer.
type TSDBStatus = api.TSDBStatus

// Alert is one entry of /api/v1/alerts.
type Alert = api.Alert

// Rule is one recording or alerting rule of /api/v1/rules.
type Rule = api.Rule

// RuleGroup is one group of /api/v1/rules.
type RuleGroup = api.RuleGroup

// BuildInfo fetches the collector's version information.
func (c *Client) BuildInfo(ctx context.Context) (BuildInfo, error) {
	var out BuildInfo
	return out, c.getInto(ctx, "/api/v1/status/buildinfo", nil, &out)
}

// TSDBStatus fetches cardinality statistics.
func (c *Client) TSDBStatus(ctx context.Context) (TSDBStatus, error) {
	var out TSDBStatus
	return out, c.getInto(ctx, "/api/v1/status/tsdb", nil, &out)
}

// Alerts lists active (pending and firing) alerts. The error wraps
// ErrNotConfigured when the collector does not evaluate alerting rules.
func (c *Client) Alerts(ctx context.Context) ([]Alert, error) {
	var out struct {
		Alerts []Alert `json:"alerts"`
	}
	err := c.getInto(ctx, "/api/v1/alerts", nil, &out)
	return out.Alerts, err
}

// Rules lists rule groups. The error wraps ErrNotConfigured when the
// collector has no rule engine.
func (c *Client) Rules(ctx context.Context) ([]RuleGroup, error) {
	var out struct {
		Groups []RuleGroup `json:"groups"`
	}
	err := c.getInto(ctx, "/api/v1/rules", nil, &out)
	return out.Groups, err
}

// Probe checks that the collector serves an /api/v1 endpoint at all; it
// returns nil when it answers successfully and an error wrapping
// ErrNotConfigured when it answers 404. Views whose API arrives in a later
// release use it to decide between "not configured" and real content.
//
// Any 2xx answer counts, whatever its body: these APIs need not use the
// Prometheus envelope.
func (c *Client) Probe(ctx context.Context, path string) error {
	body, status, err := c.get(ctx, path, nil)
	if err != nil {
		return err
	}
	if status/100 == 2 {
		return nil
	}
	if _, err := decodeEnvelope(body, status); err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			return apiErr
		}
	}
	return &APIError{StatusCode: status, Message: firstLine(body)}
}

func (c *Client) getInto(ctx context.Context, path string, params url.Values, dst any) error {
	env, err := c.getData(ctx, path, params)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(env.Data, dst); err != nil {
		return fmt.Errorf("decoding %s data: %w", path, err)
	}
	return nil
}

// Healthy probes /-/healthy: nil when the collector process is up.
func (c *Client) Healthy(ctx context.Context) error { return c.probeText(ctx, "/-/healthy") }

// Ready probes /-/ready: nil when the collector accepts queries.
func (c *Client) Ready(ctx context.Context) error { return c.probeText(ctx, "/-/ready") }

func (c *Client) probeText(ctx context.Context, path string) error {
	body, status, err := c.get(ctx, path, nil)
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return &APIError{StatusCode: status, Message: firstLine(body)}
	}
	return nil
}
