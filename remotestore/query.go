package remotestore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	config_util "github.com/prometheus/common/config"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/util/annotations"
)

// QueryClient calls the backend's Prometheus query API (the base URL under
// which /api/v1/query lives).
type QueryClient struct {
	base    string
	client  *http.Client
	timeout time.Duration
}

// NewQueryClient builds the client of storage.remote.query; baseDir
// resolves relative credential and TLS files.
func NewQueryClient(ep Endpoint, baseDir string) (*QueryClient, error) {
	hc, err := ep.HTTPClientConfig(baseDir)
	if err != nil {
		return nil, fmt.Errorf("storage.remote.query: %w", err)
	}
	c, err := config_util.NewClientFromConfig(hc, "mlectl_remote_query")
	if err != nil {
		return nil, fmt.Errorf("storage.remote.query: %w", err)
	}
	if len(ep.Headers) > 0 {
		c.Transport = headerRoundTripper{headers: ep.Headers, next: c.Transport}
	}
	return &QueryClient{base: strings.TrimSuffix(ep.URL, "/"), client: c, timeout: ep.timeout()}, nil
}

type headerRoundTripper struct {
	headers map[string]string
	next    http.RoundTripper
}

func (h headerRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.headers {
		r.Header.Set(k, v)
	}
	return h.next.RoundTrip(r)
}

// apiResponse is Prometheus's API envelope.
type apiResponse struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Warnings  []string        `json:"warnings"`
}

// BackendError is an error answer of the backend (or its absence).
type BackendError struct {
	Status    int // HTTP status; 0 when the backend could not be reached
	ErrorType string
	Msg       string
}

func (e *BackendError) Error() string {
	if e.Status == 0 {
		return "metrics backend unreachable: " + e.Msg
	}
	return fmt.Sprintf("metrics backend answered %d (%s): %s", e.Status, e.ErrorType, e.Msg)
}

// newRequest sends form to path under the base URL: in the body of a POST,
// or in the URL of a GET (Prometheus serves label values on GET only).
func (c *QueryClient) newRequest(ctx context.Context, method, path string, form url.Values) (*http.Request, error) {
	if method == http.MethodGet {
		return http.NewRequestWithContext(ctx, http.MethodGet, c.base+path+"?"+form.Encode(), nil)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// call sends form to path and decodes the envelope.
func (c *QueryClient) call(ctx context.Context, path string, form url.Values) (*apiResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	method := http.MethodPost
	if strings.HasPrefix(path, "/api/v1/label/") {
		method = http.MethodGet
	}
	req, err := c.newRequest(ctx, method, path, form)
	if err != nil {
		return nil, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, &BackendError{Msg: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &BackendError{Msg: err.Error()}
	}
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil || r.Status == "" {
		return nil, &BackendError{Status: resp.StatusCode, ErrorType: "bad_response", Msg: fmt.Sprintf("%s%s: not a Prometheus API answer: %.200s", c.base, path, body)}
	}
	if r.Status != "success" {
		return nil, &BackendError{Status: resp.StatusCode, ErrorType: r.ErrorType, Msg: r.Error}
	}
	return &r, nil
}

// InstantQuery evaluates qs at ts on the backend, as a rule evaluation
// needs it (rules.QueryFunc): a scalar is a one-sample vector.
func (c *QueryClient) InstantQuery(ctx context.Context, qs string, ts time.Time) (promql.Vector, error) {
	r, err := c.call(ctx, "/api/v1/query", url.Values{"query": {qs}, "time": {formatTime(ts.UnixMilli())}})
	if err != nil {
		return nil, err
	}
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(r.Data, &data); err != nil {
		return nil, fmt.Errorf("metrics backend: decode query result: %w", err)
	}
	switch data.ResultType {
	case "vector":
		var res []struct {
			Metric map[string]string  `json:"metric"`
			Value  [2]json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(data.Result, &res); err != nil {
			return nil, fmt.Errorf("metrics backend: decode vector: %w", err)
		}
		vec := make(promql.Vector, 0, len(res))
		for _, s := range res {
			t, v, err := parsePoint(s.Value)
			if err != nil {
				return nil, err
			}
			vec = append(vec, promql.Sample{Metric: labels.FromMap(s.Metric), T: t, F: v})
		}
		return vec, nil
	case "scalar":
		var p [2]json.RawMessage
		if err := json.Unmarshal(data.Result, &p); err != nil {
			return nil, fmt.Errorf("metrics backend: decode scalar: %w", err)
		}
		t, v, err := parsePoint(p)
		if err != nil {
			return nil, err
		}
		return promql.Vector{{T: t, F: v, Metric: labels.EmptyLabels()}}, nil
	}
	return nil, fmt.Errorf("rule result must be a vector or scalar, the backend answered %s", data.ResultType)
}

func parsePoint(p [2]json.RawMessage) (int64, float64, error) {
	var ts float64
	if err := json.Unmarshal(p[0], &ts); err != nil {
		return 0, 0, fmt.Errorf("metrics backend: bad timestamp %s", p[0])
	}
	var vs string
	if err := json.Unmarshal(p[1], &vs); err != nil {
		return 0, 0, fmt.Errorf("metrics backend: bad value %s", p[1])
	}
	v, err := strconv.ParseFloat(vs, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("metrics backend: bad value %q", vs)
	}
	return int64(math.Round(ts * 1000)), v, nil
}

func formatTime(ms int64) string { return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64) }

// Querier reads raw samples and metadata from the backend.
func (c *QueryClient) Querier(mint, maxt int64) (storage.Querier, error) {
	return &querier{c: c, mint: mint, maxt: maxt}, nil
}

type querier struct {
	c          *QueryClient
	mint, maxt int64
}

// bounds clamps a time range to what a backend's API accepts.
func bounds(mint, maxt int64) (int64, int64) {
	now := time.Now().UnixMilli()
	return max(mint, 0), min(maxt, now+24*time.Hour.Milliseconds())
}

func selector(ms []*labels.Matcher) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// Select returns raw samples: an instant query of a range selector at
// maxt over [mint, maxt] answers the stored samples on every backend
// (Prometheus, Mimir, Thanos, VictoriaMetrics). A "series" hint asks
// /api/v1/series instead (labels only).
func (q *querier) Select(ctx context.Context, sortSeries bool, hints *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	mint, maxt := q.mint, q.maxt
	if hints != nil && hints.Start != 0 && hints.End != 0 {
		mint, maxt = max(mint, hints.Start), min(maxt, hints.End)
	}
	mint, maxt = bounds(mint, maxt)
	if hints != nil && hints.Func == "series" {
		r, err := q.c.call(ctx, "/api/v1/series", url.Values{"match[]": {selector(ms)}, "start": {formatTime(mint)}, "end": {formatTime(maxt)}})
		if err != nil {
			return storage.ErrSeriesSet(err)
		}
		var res []map[string]string
		if err := json.Unmarshal(r.Data, &res); err != nil {
			return storage.ErrSeriesSet(fmt.Errorf("metrics backend: decode series: %w", err))
		}
		series := make([]storage.Series, len(res))
		for i, m := range res {
			series[i] = storage.NewListSeries(labels.FromMap(m), nil)
		}
		return seriesSet(series)
	}
	rangeMs := maxt - mint + 1
	qs := fmt.Sprintf("%s[%dms]", selector(ms), rangeMs)
	r, err := q.c.call(ctx, "/api/v1/query", url.Values{"query": {qs}, "time": {formatTime(maxt)}})
	if err != nil {
		return storage.ErrSeriesSet(err)
	}
	var data struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string    `json:"metric"`
			Values [][2]json.RawMessage `json:"values"`
		} `json:"result"`
	}
	if err := json.Unmarshal(r.Data, &data); err != nil {
		return storage.ErrSeriesSet(fmt.Errorf("metrics backend: decode samples: %w", err))
	}
	series := make([]storage.Series, 0, len(data.Result))
	for _, s := range data.Result {
		samples := make([]promql.FPoint, 0, len(s.Values))
		for _, p := range s.Values {
			t, v, err := parsePoint(p)
			if err != nil {
				return storage.ErrSeriesSet(err)
			}
			if t >= mint && t <= maxt {
				samples = append(samples, promql.FPoint{T: t, F: v})
			}
		}
		series = append(series, promql.NewStorageSeries(promql.Series{Metric: labels.FromMap(s.Metric), Floats: samples}))
	}
	return seriesSet(series)
}

func seriesSet(series []storage.Series) storage.SeriesSet {
	slices.SortFunc(series, func(a, b storage.Series) int { return labels.Compare(a.Labels(), b.Labels()) })
	return &listSet{series: series, i: -1}
}

type listSet struct {
	series []storage.Series
	i      int
}

func (s *listSet) Next() bool                      { s.i++; return s.i < len(s.series) }
func (s *listSet) At() storage.Series              { return s.series[s.i] }
func (*listSet) Err() error                        { return nil }
func (*listSet) Warnings() annotations.Annotations { return nil }

func (q *querier) labelForm(hints *storage.LabelHints, ms []*labels.Matcher) url.Values {
	mint, maxt := bounds(q.mint, q.maxt)
	form := url.Values{"start": {formatTime(mint)}, "end": {formatTime(maxt)}}
	if len(ms) > 0 {
		form.Set("match[]", selector(ms))
	}
	if hints != nil && hints.Limit > 0 {
		form.Set("limit", strconv.Itoa(hints.Limit))
	}
	return form
}

func (q *querier) labelCall(ctx context.Context, path string, form url.Values) ([]string, annotations.Annotations, error) {
	r, err := q.c.call(ctx, path, form)
	if err != nil {
		return nil, nil, err
	}
	var out []string
	if err := json.Unmarshal(r.Data, &out); err != nil {
		return nil, nil, fmt.Errorf("metrics backend: decode %s: %w", path, err)
	}
	slices.Sort(out)
	return out, nil, nil
}

func (q *querier) LabelValues(ctx context.Context, name string, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return q.labelCall(ctx, "/api/v1/label/"+url.PathEscape(name)+"/values", q.labelForm(hints, ms))
}

func (q *querier) LabelNames(ctx context.Context, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	return q.labelCall(ctx, "/api/v1/labels", q.labelForm(hints, ms))
}

func (*querier) Close() error { return nil }

// QueryProxy serves the collector's Prometheus API query and metadata
// routes from the backend: the request's parameters are sent on (the
// query's MetricsQL WITH templates expanded first by expand), and the
// backend's answer comes back as it is — status, Prometheus JSON and
// errors. An unreachable backend is a 503 of type unavailable.
func (c *QueryClient) QueryProxy(expand func(string) (string, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			writeError(w, http.StatusBadRequest, "bad_data", fmt.Sprintf("invalid parameters: %v", err))
			return
		}
		form := r.Form
		if qs := form.Get("query"); qs != "" && expand != nil {
			expanded, err := expand(qs)
			if err != nil {
				writeError(w, http.StatusBadRequest, "bad_data", err.Error())
				return
			}
			form.Set("query", expanded)
		}
		path := "/api/v1" + strings.TrimPrefix(r.URL.Path, "/api/v1")
		ctx, cancel := context.WithTimeout(r.Context(), c.timeout)
		defer cancel()
		method := http.MethodPost
		if r.Method == http.MethodGet {
			method = http.MethodGet
		}
		req, err := c.newRequest(ctx, method, path, form)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "internal", err.Error())
			return
		}
		resp, err := c.client.Do(req)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "unavailable", fmt.Sprintf("metrics backend %s unreachable: %v", c.base, err))
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			writeError(w, http.StatusBadGateway, "unavailable", fmt.Sprintf("metrics backend %s: reading the answer: %v", c.base, err))
			return
		}
		c.relayAnswer(w, resp, body, path, " (is storage.remote.query.url the Prometheus API base?)")
	})
}

// relayAnswer writes the backend's answer to path back as it is, except
// that an answer outside Prometheus's envelope (a proxy's error page, a
// wrong base URL) is a 502 saying so (hint, if any, says what to check),
// and an error type that is an HTTP status becomes Prometheus's type.
func (c *QueryClient) relayAnswer(w http.ResponseWriter, resp *http.Response, body []byte, path, hint string) {
	var env apiResponse
	if json.Unmarshal(body, &env) != nil || env.Status == "" {
		writeError(w, http.StatusBadGateway, "unavailable", fmt.Sprintf("metrics backend %s%s answered %s, not a Prometheus API answer%s: %.200s", c.base, path, resp.Status, hint, bytes.TrimSpace(body)))
		return
	}
	if t := promErrorType(env.ErrorType, resp.StatusCode); env.Status == "error" && t != env.ErrorType {
		// VictoriaMetrics names the error by its HTTP status ("400");
		// clients of the collector expect Prometheus's types.
		writeError(w, resp.StatusCode, t, env.Error)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

// promErrorType maps an error type that is an HTTP status (as
// VictoriaMetrics answers) to Prometheus's error type for that status.
func promErrorType(t string, status int) string {
	if _, err := strconv.Atoi(t); err != nil && t != "" {
		return t
	}
	switch status {
	case http.StatusBadRequest:
		return "bad_data"
	case http.StatusUnprocessableEntity:
		return "execution"
	case http.StatusServiceUnavailable:
		return "unavailable"
	case http.StatusGatewayTimeout:
		return "timeout"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusNotAcceptable:
		return "not_acceptable"
	}
	return "internal"
}

func writeError(w http.ResponseWriter, code int, errType, msg string) {
	b, _ := json.Marshal(map[string]string{"status": "error", "errorType": errType, "error": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// IsUnreachable reports whether err is a backend that could not be reached.
func IsUnreachable(err error) bool {
	var be *BackendError
	return errors.As(err, &be) && be.Status == 0
}

// TSDBStatusProxy serves the collector's /api/v1/status/tsdb from the
// backend's (VictoriaMetrics answers it in Prometheus's shape with its
// own additions; the limit is sent as its topN too). A backend without
// one (Mimir, Thanos Query: 404 or 405) is a 501 naming the store and
// where its statistics are instead; an unreachable backend a 503.
func (c *QueryClient) TSDBStatusProxy() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			writeError(w, http.StatusBadRequest, "bad_data", fmt.Sprintf("invalid parameters: %v", err))
			return
		}
		form := url.Values{}
		for k, v := range r.Form {
			form[k] = v
		}
		if l := form.Get("limit"); l != "" && !form.Has("topN") {
			form.Set("topN", l)
		}
		const path = "/api/v1/status/tsdb"
		ctx, cancel := context.WithTimeout(r.Context(), c.timeout)
		defer cancel()
		req, err := c.newRequest(ctx, http.MethodGet, path, form)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "internal", err.Error())
			return
		}
		resp, err := c.client.Do(req)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "unavailable", fmt.Sprintf("metrics backend %s unreachable: %v", c.base, err))
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		if err != nil {
			writeError(w, http.StatusBadGateway, "unavailable", fmt.Sprintf("metrics backend %s: reading the answer: %v", c.base, err))
			return
		}
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusNotImplemented {
			writeError(w, http.StatusNotImplemented, "unavailable", fmt.Sprintf(
				"storage.metrics is remote and the metrics store %s does not serve %s (it answered %s): the series live there, not in the collector, so ask the store for its statistics (VictoriaMetrics serves this endpoint; Mimir has /api/v1/cardinality/label_names and label_values; Thanos Receive serves /api/v1/status/tsdb, Thanos Query does not)",
				c.base, path, resp.Status))
			return
		}
		c.relayAnswer(w, resp, body, path, "")
	})
}
