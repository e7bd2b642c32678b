package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/golang/snappy"
	remoteapi "github.com/prometheus/client_golang/exp/api/remote"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/exemplar"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/metadata"
	"github.com/prometheus/prometheus/prompb"
	writev2 "github.com/prometheus/prometheus/prompb/io/prometheus/write/v2"
	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/internal/diskguard"
)

// Rejection reasons: the `reason` label of the rejection counters and the
// first word of each line of a 4xx response.
const (
	reasonMissingMetricName  = "missing_metric_name"
	reasonTooManyLabels      = "too_many_labels"
	reasonInvalidLabelName   = "invalid_label_name"
	reasonInvalidLabelValue  = "invalid_label_value"
	reasonLabelNameTooLong   = "label_name_too_long"
	reasonLabelValueTooLong  = "label_value_too_long"
	reasonLabelsNotSorted    = "labels_not_sorted"
	reasonDuplicateLabelName = "duplicate_label_name"
	reasonSeriesLimit        = "per_metric_series_limit"
	reasonGlobalSeriesLimit  = "series_limit"
	reasonInvalidHistogram   = "invalid_histogram"
	reasonFuture             = "too_far_in_future"
	reasonOutOfOrder         = "out_of_order"
	reasonTooOld             = "too_old"
	reasonDuplicateSample    = "duplicate_timestamp"
	reasonOutOfBounds        = "out_of_bounds"
	reasonInvalidExemplar    = "invalid_exemplar"
	reasonExemplarTooLong    = "exemplar_labels_too_long"
)

// maxReportedRejections caps the lines listed in a 4xx body; the counts
// always cover everything.
const maxReportedRejections = 20

// rejection is a series (or some of its samples) that was not written.
type rejection struct {
	reason  string
	status  int // 400 or 429
	msg     string
	samples int
}

// writeResult summarises one remote-write request.
type writeResult struct {
	acceptedSamples, acceptedSeries int
	rejectedSamples, rejectedSeries int
	rejectedExemplars               int
	rejections                      []rejection
	omitted                         int
}

func (r *writeResult) reject(rej rejection, wholeSeries bool) {
	r.rejectedSamples += rej.samples
	if wholeSeries {
		r.rejectedSeries++
	}
	if len(r.rejections) < maxReportedRejections {
		r.rejections = append(r.rejections, rej)
	} else {
		r.omitted++
	}
}

// status is 204 when everything was written (as Prometheus's receiver
// answers), 429 when the only problem is a series limit, and 400 otherwise.
func (r *writeResult) status() int {
	if len(r.rejections) == 0 {
		return http.StatusNoContent
	}
	for _, rej := range r.rejections {
		if rej.status != http.StatusTooManyRequests {
			return http.StatusBadRequest
		}
	}
	return http.StatusTooManyRequests
}

func (r *writeResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "accepted %d samples from %d series; rejected %d samples", r.acceptedSamples, r.acceptedSeries, r.rejectedSamples)
	if r.rejectedSeries > 0 {
		fmt.Fprintf(&b, " (%d whole series)", r.rejectedSeries)
	}
	if r.rejectedExemplars > 0 {
		fmt.Fprintf(&b, "; rejected %d exemplars", r.rejectedExemplars)
	}
	b.WriteByte('\n')
	for _, rej := range r.rejections {
		fmt.Fprintf(&b, "%s: %s\n", rej.reason, rej.msg)
	}
	if r.omitted > 0 {
		fmt.Fprintf(&b, "... and %d more rejections\n", r.omitted)
	}
	return b.String()
}

func (s *Server) handleWrite(w http.ResponseWriter, r *http.Request) {
	if !s.Ready() {
		http.Error(w, "storage is not open yet", http.StatusServiceUnavailable)
		return
	}
	if err := s.disk.Load().Check(); err != nil {
		s.refuseFull(w, err)
		return
	}
	contentType := r.Header.Get("Content-Type")
	if contentType == "" {
		contentType = "application/x-protobuf"
	}
	msgType, err := remoteapi.ParseProtoMsg(contentType)
	if err != nil {
		http.Error(w, "unsupported Content-Type: "+err.Error(), http.StatusUnsupportedMediaType)
		return
	}
	if enc := r.Header.Get("Content-Encoding"); enc != "" && enc != "snappy" {
		http.Error(w, fmt.Sprintf("unsupported Content-Encoding %q: only snappy is accepted", enc), http.StatusUnsupportedMediaType)
		return
	}
	body, err := readBody(r.Body, r.ContentLength, s.cfg.Limits.MaxBodyBytes)
	if err != nil {
		s.writeDecodeError(w, err)
		return
	}
	bufp := s.getDecodeBuffer()
	defer s.putDecodeBuffer(bufp)

	switch msgType {
	case remoteapi.WriteV1MessageType:
		s.writeV1(w, r.Context(), body, bufp)
	case remoteapi.WriteV2MessageType:
		s.writeV2(w, r, body, bufp)
	}
}

func (s *Server) writeDecodeError(w http.ResponseWriter, err error) {
	var le *limitError
	switch {
	case errors.As(err, &le):
		s.m.seriesRejected.WithLabelValues(le.field).Inc()
		http.Error(w, "request refused: "+le.Error(), le.status)
	case errors.Is(err, errBadPayload):
		http.Error(w, "request refused: "+err.Error(), http.StatusBadRequest)
	default:
		http.Error(w, "request refused: "+err.Error(), http.StatusBadRequest)
	}
}

func (s *Server) writeV1(w http.ResponseWriter, ctx context.Context, body []byte, bufp *[]byte) {
	var req prompb.WriteRequest
	var err error
	*bufp, err = DecodeWriteRequest(body, s.cfg.Limits, *bufp, &req)
	if err != nil {
		s.writeDecodeError(w, err)
		return
	}
	res, err := s.appendV1(ctx, &req)
	if err != nil {
		if isDiskFull(err) {
			s.refuseFull(w, err)
			return
		}
		s.logger.Error("remote write failed", "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.m.samplesIngested.WithLabelValues("1.0").Add(float64(res.acceptedSamples))
	s.respondWrite(w, res)
}

func (s *Server) respondWrite(w http.ResponseWriter, res *writeResult) {
	for _, rej := range res.rejections {
		s.m.samplesRejected.WithLabelValues(rej.reason).Add(float64(rej.samples))
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	// Remote write 1.0 has no stats headers (senders treat their presence
	// as a 2.0 receipt), so the counts use the collector's own names.
	h.Set("X-Mlectl-Samples-Accepted", strconv.Itoa(res.acceptedSamples))
	h.Set("X-Mlectl-Samples-Rejected", strconv.Itoa(res.rejectedSamples))
	code := res.status()
	if code == http.StatusNoContent {
		h.Del("Content-Type")
		w.WriteHeader(code)
		return
	}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, res.String())
}

// isDiskFull reports a write refused by the disk guard or failed by the
// filesystem for lack of space.
func isDiskFull(err error) bool {
	return errors.Is(err, diskguard.ErrFull) || errors.Is(err, syscall.ENOSPC)
}

// refuseFull answers 507 Insufficient Storage, naming the data dir and its
// free bytes; nothing of the request was acknowledged.
func (s *Server) refuseFull(w http.ResponseWriter, err error) {
	// Counted by mlectl_collector_http_requests_total{code="507"}.
	msg := err.Error()
	if g := s.disk.Load(); g != nil && !errors.Is(err, diskguard.ErrFull) {
		free, _ := g.Free()
		msg = fmt.Sprintf("insufficient storage: the filesystem of data dir %s has %d bytes free (reserve %d bytes, limits.min_free_disk_bytes); nothing of this request was written; retry once space is freed: %v",
			g.Dir(), free, g.Reserve(), err)
	}
	http.Error(w, msg, http.StatusInsufficientStorage)
}

// labelAt gives the i-th raw label of a series, before any sorting, so that
// validation sees what the sender sent.
type labelAt func(i int) (name, value string)

// checkLabels validates one series' raw labels against the limits.
func (s *Server) checkLabels(n int, at labelAt) *rejection {
	l := &s.cfg.Limits
	bad := func(reason, format string, a ...any) *rejection {
		return &rejection{reason: reason, status: http.StatusBadRequest,
			msg: fmt.Sprintf("series %s: %s", seriesString(n, at), fmt.Sprintf(format, a...))}
	}
	if exceeds(n, l.MaxLabelsPerSeries) {
		return bad(reasonTooManyLabels, "%d labels, more than max_labels_per_series=%d", n, l.MaxLabelsPerSeries)
	}
	hasName, sorted := false, true
	prev := ""
	for i := range n {
		name, value := at(i)
		switch {
		case name == "":
			return bad(reasonInvalidLabelName, "label %d has an empty name", i)
		case !utf8.ValidString(name):
			return bad(reasonInvalidLabelName, "label name %q is not valid UTF-8", name)
		case exceeds(len(name), l.MaxLabelNameLength):
			return bad(reasonLabelNameTooLong, "label name %q is %d bytes, more than max_label_name_length=%d", truncate(name), len(name), l.MaxLabelNameLength)
		case !utf8.ValidString(value):
			return bad(reasonInvalidLabelValue, "value of label %q is not valid UTF-8", name)
		case exceeds(len(value), l.MaxLabelValueLength):
			return bad(reasonLabelValueTooLong, "value of label %q is %d bytes, more than max_label_value_length=%d", name, len(value), l.MaxLabelValueLength)
		case i > 0 && name == prev:
			return bad(reasonDuplicateLabelName, "label name %q appears twice", name)
		case i > 0 && name < prev:
			if l.RequireSortedLabels {
				return bad(reasonLabelsNotSorted, "label names are not sorted: %q after %q (require_sorted_labels)", name, prev)
			}
			sorted = false
		}
		if name == labels.MetricName && value != "" {
			hasName = true
		}
		prev = name
	}
	if !sorted {
		// Adjacent comparison above only finds duplicates in sorted input;
		// unsorted series are rare and short, so compare every pair.
		for i := range n {
			a, _ := at(i)
			for j := i + 1; j < n; j++ {
				if b, _ := at(j); a == b {
					return bad(reasonDuplicateLabelName, "label name %q appears twice", a)
				}
			}
		}
	}
	if !hasName {
		return bad(reasonMissingMetricName, "no %s label (metric name)", labels.MetricName)
	}
	return nil
}

// admitSeries applies the per-metric and global series limits.
func (s *Server) admitSeries(ctx context.Context, ls labels.Labels) (rej *rejection, isNew bool, err error) {
	name := ls.Get(labels.MetricName)
	verdict, isNew, count, err := s.limiter.admit(ctx, s.limiterQueryable(), name, ls.Hash(), s.storedSeries)
	if err != nil {
		return nil, false, err
	}
	switch verdict {
	case overMetricLimit:
		return &rejection{reason: reasonSeriesLimit, status: http.StatusTooManyRequests,
			msg: fmt.Sprintf("series %s: metric %q already has %d series, the limit max_series_per_metric=%d", ls.String(), name, count, s.cfg.Limits.MaxSeriesPerMetric)}, false, nil
	case overSeriesLimit:
		return &rejection{reason: reasonGlobalSeriesLimit, status: http.StatusTooManyRequests,
			msg: fmt.Sprintf("series %s: the collector already holds %d series, the limit max_series=%d; new series are refused until retention removes some or the limit is raised (samples of existing series are still accepted)", ls.String(), count, s.cfg.Limits.MaxSeries)}, false, nil
	}
	return nil, isNew, nil
}

// storedSeries is the attached store's series count when it can tell
// cheaply (the project's tsdb), else 0.
func (s *Server) storedSeries() int {
	if c, ok := s.store.Load().Store.(interface{ NumSeries() int }); ok {
		return c.NumSeries()
	}
	return 0
}

// minValidTime is the oldest sample timestamp the store keeps (now minus
// its retention); samples before it are refused as too_old rather than
// acknowledged and deleted by the next retention pass. Stores that cannot
// tell refuse only math.MinInt64.
func (s *Server) minValidTime() int64 {
	if c, ok := s.store.Load().Store.(interface{ MinValidTime() int64 }); ok {
		return c.MinValidTime()
	}
	return math.MinInt64 + 1
}

// checkTime refuses a timestamp outside [minT, maxT] with its reason.
func (s *Server) checkTime(t, minT, maxT int64) (reason string, err error) {
	switch {
	case t > maxT:
		return reasonFuture, fmt.Errorf("timestamp %s is more than max_future_skew=%s ahead of the server clock",
			time.UnixMilli(t).UTC().Format(time.RFC3339Nano), s.cfg.Limits.MaxFutureSkew)
	case t < minT:
		return reasonTooOld, fmt.Errorf("timestamp %s (%d ms) is older than the storage retention allows (oldest kept: %s)",
			time.UnixMilli(t).UTC().Format(time.RFC3339Nano), t, time.UnixMilli(minT).UTC().Format(time.RFC3339))
	}
	return "", nil
}

// maxValidTime is the newest sample timestamp accepted (now plus
// max_future_skew).
func (s *Server) maxValidTime() int64 {
	if s.cfg.Limits.MaxFutureSkew < 0 {
		return math.MaxInt64
	}
	return time.Now().Add(s.cfg.Limits.MaxFutureSkew).UnixMilli()
}

// sampleErrorReason classifies a storage error for one sample; "" means the
// error is not the sample's fault and the whole request must fail.
func sampleErrorReason(err error) string {
	switch {
	case errors.Is(err, storage.ErrOutOfOrderSample):
		return reasonOutOfOrder
	case errors.Is(err, storage.ErrTooOldSample):
		return reasonTooOld
	case errors.Is(err, storage.ErrDuplicateSampleForTimestamp):
		return reasonDuplicateSample
	case errors.Is(err, storage.ErrOutOfBounds):
		return reasonOutOfBounds
	case errors.As(err, new(histogram.Error)):
		return reasonInvalidHistogram
	}
	return ""
}

// appendV1 writes the valid series of req and commits them; invalid series
// and samples are reported in the result. An error means nothing was
// committed.
func (s *Server) appendV1(ctx context.Context, req *prompb.WriteRequest) (*writeResult, error) {
	st := s.store.Load().Store
	app := st.AppenderV2(ctx)
	res := &writeResult{}
	minT, maxT := s.minValidTime(), s.maxValidTime()
	type newSeries struct {
		name string
		hash uint64
	}
	var admitted []newSeries
	forgetAdmitted := func() {
		for _, ns := range admitted {
			s.limiter.forget(ns.name, ns.hash)
		}
	}
	sb := labels.NewScratchBuilder(16)
	req.Timeseries = joinLoneExemplarsV1(req.Timeseries)
	// The request's metric metadata, by family, for the store to keep or
	// forward with the family's series (storage.metrics: remote).
	var meta map[string]metadata.Metadata
	for _, m := range req.Metadata {
		if meta == nil {
			meta = make(map[string]metadata.Metadata, len(req.Metadata))
		}
		meta[m.MetricFamilyName] = metadata.Metadata{Type: model.MetricType(strings.ToLower(m.Type.String())), Unit: m.Unit, Help: m.Help}
	}
	for i := range req.Timeseries {
		ts := &req.Timeseries[i]
		raw := ts.Labels
		if rej := s.checkLabels(len(raw), func(i int) (string, string) { return raw[i].Name, raw[i].Value }); rej != nil {
			rej.samples = len(ts.Samples) + len(ts.Histograms)
			res.reject(*rej, true)
			continue
		}
		ls := ts.ToLabels(&sb, nil)
		points := len(ts.Samples) + len(ts.Histograms)
		if points == 0 {
			continue
		}
		rej, isNew, err := s.admitSeries(ctx, ls)
		if err != nil {
			_ = app.Rollback()
			forgetAdmitted()
			return nil, err
		}
		if rej != nil {
			rej.samples = points
			res.reject(*rej, true)
			continue
		}
		if isNew {
			admitted = append(admitted, newSeries{ls.Get(labels.MetricName), ls.Hash()})
		}
		accepted := 0
		var failed map[string]*rejection
		var ref storage.SeriesRef
		for p := range points {
			var (
				t      int64
				v      float64
				h      *histogram.Histogram
				fh     *histogram.FloatHistogram
				reason string
				bad    error
			)
			if p < len(ts.Samples) {
				t, v = ts.Samples[p].Timestamp, ts.Samples[p].Value
			} else {
				hp := &ts.Histograms[p-len(ts.Samples)]
				t = hp.Timestamp
				if hp.IsFloatHistogram() {
					fh = hp.ToFloatHistogram()
				} else {
					h = hp.ToIntHistogram()
				}
			}
			if reason, bad = s.checkTime(t, minT, maxT); reason == "" {
				var err error
				var opts storage.AOptions
				if p == 0 && (len(ts.Exemplars) > 0 || meta != nil) {
					opts = v1Options(ls, ts.Exemplars, meta)
				}
				ref, err = app.Append(ref, ls, 0, t, v, h, fh, opts)
				if err == nil {
					accepted++
					continue
				}
				if reason = sampleErrorReason(err); reason == "" {
					_ = app.Rollback()
					forgetAdmitted()
					return nil, fmt.Errorf("append series %s: %w", ls.String(), err)
				}
				bad = fmt.Errorf("%w (timestamp %s)", err, time.UnixMilli(t).UTC().Format(time.RFC3339Nano))
			}
			if failed == nil {
				failed = map[string]*rejection{}
			}
			if f := failed[reason]; f != nil {
				f.samples++
				continue
			}
			failed[reason] = &rejection{reason: reason, status: http.StatusBadRequest, samples: 1,
				msg: fmt.Sprintf("series %s: %v", ls.String(), bad)}
		}
		if len(failed) > 0 { // spares the common all-good path the sort
			for k, reason := range slices.Sorted(maps.Keys(failed)) {
				f := failed[reason]
				if f.samples > 1 {
					f.msg += fmt.Sprintf(" (and %d more samples)", f.samples-1)
				}
				res.reject(*f, accepted == 0 && k == 0)
			}
		}
		if accepted > 0 {
			res.acceptedSamples += accepted
			res.acceptedSeries++
		} else if isNew {
			// Nothing reached the store: the series does not count.
			s.limiter.forget(ls.Get(labels.MetricName), ls.Hash())
			admitted = admitted[:len(admitted)-1]
		}
	}
	if err := app.Commit(); err != nil {
		forgetAdmitted()
		return nil, fmt.Errorf("commit remote-write samples: %w", err)
	}
	return res, nil
}

// v1Options carries a remote-write 1.0 series' exemplars and its family's
// metadata to the store with its first sample.
func v1Options(ls labels.Labels, exs []prompb.Exemplar, meta map[string]metadata.Metadata) storage.AOptions {
	var opts storage.AOptions
	name := ls.Get(labels.MetricName)
	for _, fam := range []string{name, strings.TrimSuffix(name, "_bucket"), strings.TrimSuffix(name, "_sum"), strings.TrimSuffix(name, "_count")} {
		if m, ok := meta[fam]; ok {
			opts.Metadata, opts.MetricFamilyName = m, fam
			break
		}
	}
	if len(exs) > 0 {
		b := labels.NewScratchBuilder(4)
		opts.Exemplars = make([]exemplar.Exemplar, len(exs))
		for i, e := range exs {
			opts.Exemplars[i] = e.ToExemplar(&b, nil)
		}
	}
	return opts
}

// joinLoneExemplarsV1 is joinLoneExemplars for a 1.0 request, whose
// series carry their labels: Prometheus's 1.0 sender, too, sends a
// series' exemplars in a TimeSeries of their own, which appendV1 would
// skip for want of samples. A lone series with no series of the same
// labels (in the same order) in the request is left as it is.
func joinLoneExemplarsV1(series []prompb.TimeSeries) []prompb.TimeSeries {
	isLone := func(ts *prompb.TimeSeries) bool {
		return len(ts.Samples)+len(ts.Histograms) == 0 && len(ts.Exemplars) > 0
	}
	anyLone := false
	for i := 0; i < len(series) && !anyLone; i++ { // on every 1.0 request: no copies
		anyLone = isLone(&series[i])
	}
	if !anyLone {
		return series
	}
	seed := maphash.MakeSeed()
	key := func(ls []prompb.Label) uint64 {
		var h maphash.Hash
		h.SetSeed(seed)
		for _, l := range ls {
			h.WriteString(l.Name)
			h.WriteByte(0xff)
			h.WriteString(l.Value)
			h.WriteByte(0xff)
		}
		return h.Sum64()
	}
	sameLabels := func(a, b prompb.Label) bool { return a.Name == b.Name && a.Value == b.Value }
	withPoints := make(map[uint64][]int, len(series))
	for i := range series {
		if len(series[i].Samples)+len(series[i].Histograms) > 0 {
			k := key(series[i].Labels)
			withPoints[k] = append(withPoints[k], i)
		}
	}
	joined := map[int]bool{}
	for i := range series {
		if !isLone(&series[i]) {
			continue
		}
		for _, j := range withPoints[key(series[i].Labels)] {
			if slices.EqualFunc(series[i].Labels, series[j].Labels, sameLabels) {
				series[j].Exemplars = append(series[j].Exemplars, series[i].Exemplars...)
				joined[i] = true
				break
			}
		}
	}
	return dropJoined(series, joined)
}

// writeV2 applies the collector's limits to a remote-write 2.0 request,
// drops the series that break them, and hands the rest to Prometheus's own
// 2.0 handler. The response merges both verdicts.
func (s *Server) writeV2(w http.ResponseWriter, r *http.Request, body []byte, bufp *[]byte) {
	raw, err := snappyDecode(*bufp, body, s.cfg.Limits.MaxDecodedBytes)
	if err != nil {
		s.writeDecodeError(w, err)
		return
	}
	if cap(raw) > cap(*bufp) {
		*bufp = raw
	}
	n, err := countSeries(raw, 5) // io.prometheus.write.v2.Request.timeseries = 5
	if err != nil {
		s.writeDecodeError(w, err)
		return
	}
	if exceeds(n, s.cfg.Limits.MaxSeriesPerRequest) {
		s.writeDecodeError(w, &limitError{http.StatusRequestEntityTooLarge, "max_series_per_request",
			fmt.Sprintf("request holds %d series, more than %d", n, s.cfg.Limits.MaxSeriesPerRequest)})
		return
	}
	var req writev2.Request
	if err := req.Unmarshal(raw); err != nil {
		s.writeDecodeError(w, fmt.Errorf("%w: protobuf: %w", errBadPayload, err))
		return
	}
	if len(req.Symbols) > 0 && req.Symbols[0] != "" {
		// The 2.0 spec: "symbols[0] MUST be an empty string"; receivers
		// answer 400.
		s.writeDecodeError(w, fmt.Errorf("%w: symbols[0] must be the empty string, got %q", errBadPayload, truncate(req.Symbols[0])))
		return
	}
	res := &writeResult{}
	minT, maxT := s.minValidTime(), s.maxValidTime()
	kept := req.Timeseries[:0]
	var keptLabels []labels.Labels // kept's, for joinLoneExemplars
	var lone []int                 // kept series with exemplars alone
	sb := labels.NewScratchBuilder(16)
	for _, ts := range req.Timeseries {
		refs := ts.LabelsRefs
		if len(refs)%2 != 0 || !refsInRange(refs, len(req.Symbols)) {
			res.reject(rejection{reason: reasonInvalidLabelName, status: http.StatusBadRequest, samples: len(ts.Samples) + len(ts.Histograms),
				msg: fmt.Sprintf("series with label refs %v: refs must come in name/value pairs within the %d symbols", refs, len(req.Symbols))}, true)
			continue
		}
		at := func(i int) (string, string) { return req.Symbols[refs[2*i]], req.Symbols[refs[2*i+1]] }
		if rej := s.checkLabels(len(refs)/2, at); rej != nil {
			rej.samples = len(ts.Samples) + len(ts.Histograms)
			res.reject(*rej, true)
			continue
		}
		ls, _ := ts.ToLabels(&sb, req.Symbols)
		dropBadExemplars(&ts, req.Symbols, ls, res)
		if len(ts.Samples)+len(ts.Histograms) == 0 {
			if len(ts.Exemplars) > 0 {
				lone = append(lone, len(kept))
			}
			// Prometheus's handler reports it, unless its exemplars
			// join their series' below.
			kept, keptLabels = append(kept, ts), append(keptLabels, ls)
			continue
		}
		if !s.keepInTime(&ts, ls, minT, maxT, res) {
			continue
		}
		rej, _, err := s.admitSeries(r.Context(), ls)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if rej != nil {
			rej.samples = len(ts.Samples) + len(ts.Histograms)
			res.reject(*rej, true)
			continue
		}
		kept, keptLabels = append(kept, ts), append(keptLabels, ls)
	}
	req.Timeseries = joinLoneExemplars(kept, keptLabels, lone)

	filtered, err := req.Marshal()
	if err != nil {
		http.Error(w, fmt.Sprintf("re-encode remote-write 2.0 request: %v", err), http.StatusInternalServerError)
		return
	}
	inner := r.Clone(r.Context())
	compressed := snappy.Encode(nil, filtered)
	inner.Body = io.NopCloser(bytes.NewReader(compressed))
	inner.ContentLength = int64(len(compressed))
	rec := &recorder{header: http.Header{}}
	s.rw2.ServeHTTP(rec, inner)

	written, _ := strconv.Atoi(rec.header.Get("X-Prometheus-Remote-Write-Samples-Written"))
	writtenHist, _ := strconv.Atoi(rec.header.Get("X-Prometheus-Remote-Write-Histograms-Written"))
	written += writtenHist
	s.m.samplesIngested.WithLabelValues("2.0").Add(float64(written))
	if rec.code >= 500 && strings.Contains(rec.body.String(), syscall.ENOSPC.Error()) {
		// Prometheus's handler answers 500 for a failed commit; a WAL
		// write that found the disk full is a 507 here as in 1.0.
		s.refuseFull(w, fmt.Errorf("remote write 2.0: %s", strings.TrimSpace(rec.body.String())))
		return
	}
	if len(res.rejections) == 0 || rec.code >= 500 {
		rec.copyTo(w)
		return
	}
	for _, rej := range res.rejections {
		s.m.samplesRejected.WithLabelValues(rej.reason).Add(float64(rej.samples))
	}
	res.acceptedSamples = written
	res.acceptedSeries = len(kept)
	for k, v := range rec.header {
		if strings.HasPrefix(k, "X-Prometheus-Remote-Write-") {
			w.Header()[k] = v
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	code := res.status()
	if rec.code >= 400 {
		code = rec.code
	}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, res.String())
	if rec.code >= 400 {
		_, _ = w.Write(rec.body.Bytes())
	}
}

// keepInTime drops from a 2.0 series the samples and histograms outside
// [minT, maxT], reporting them in res as appendV1 does; false means none
// is left.
func (s *Server) keepInTime(ts *writev2.TimeSeries, ls labels.Labels, minT, maxT int64, res *writeResult) bool {
	var failed map[string]*rejection
	drop := func(t int64) bool {
		reason, bad := s.checkTime(t, minT, maxT)
		if reason == "" {
			return false
		}
		if failed == nil {
			failed = map[string]*rejection{}
		}
		if f := failed[reason]; f != nil {
			f.samples++
		} else {
			failed[reason] = &rejection{reason: reason, status: http.StatusBadRequest, samples: 1, msg: fmt.Sprintf("series %s: %v", ls.String(), bad)}
		}
		return true
	}
	ts.Samples = slices.DeleteFunc(ts.Samples, func(smp writev2.Sample) bool { return drop(smp.Timestamp) })
	ts.Histograms = slices.DeleteFunc(ts.Histograms, func(h writev2.Histogram) bool { return drop(h.Timestamp) })
	left := len(ts.Samples) + len(ts.Histograms)
	for k, reason := range slices.Sorted(maps.Keys(failed)) {
		f := failed[reason]
		if f.samples > 1 {
			f.msg += fmt.Sprintf(" (and %d more samples)", f.samples-1)
		}
		res.reject(*f, left == 0 && k == 0)
	}
	return left > 0
}

// dropBadExemplars drops from a 2.0 series the exemplars that would not
// reach a store intact, reporting each in res (a 400 once the rest of the
// request is written, as Prometheus's 2.0 receiver answers an exemplar it
// cannot parse): label refs that are not name/value pairs within the
// symbol table, and label sets over the 128 characters Prometheus and
// OpenMetrics allow an exemplar (Prometheus's TSDB and Mimir drop those).
func dropBadExemplars(ts *writev2.TimeSeries, symbols []string, ls labels.Labels, res *writeResult) {
	kept := ts.Exemplars[:0]
	for i, e := range ts.Exemplars {
		refs := e.LabelsRefs
		var reason, msg string
		if len(refs)%2 != 0 || !refsInRange(refs, len(symbols)) {
			reason, msg = reasonInvalidExemplar, fmt.Sprintf("refs must come in name/value pairs within the %d symbols", len(symbols))
		} else {
			n := 0
			for _, r := range refs {
				n += utf8.RuneCountInString(symbols[r])
			}
			if n <= exemplar.ExemplarMaxLabelSetLength {
				kept = append(kept, e)
				continue
			}
			reason, msg = reasonExemplarTooLong, fmt.Sprintf("labels of %d characters, more than the %d an exemplar may have", n, exemplar.ExemplarMaxLabelSetLength)
		}
		res.rejectedExemplars++
		res.reject(rejection{reason: reason, status: http.StatusBadRequest,
			msg: fmt.Sprintf("series %s: exemplars[%d].labels_refs %s: %s; the exemplar is dropped", ls.String(), i, refsString(refs), msg)}, false)
	}
	ts.Exemplars = kept
}

// joinLoneExemplars moves the exemplars of the series that carry nothing
// else (lone: their indexes in series; ls: every series' labels) to the
// series of the same labels with samples or histograms in the request,
// and drops the emptied series. Prometheus's own 2.0 sender sends a
// series' exemplars in a TimeSeries of their own
// (prometheus/prometheus#17857), which the 2.0 spec forbids and
// Prometheus's receiver answers 400 to; joined to their series they are
// written, as the sender meant. A lone series with no such series in the
// request is left for the handler to refuse.
func joinLoneExemplars(series []writev2.TimeSeries, ls []labels.Labels, lone []int) []writev2.TimeSeries {
	if len(lone) == 0 {
		return series
	}
	withPoints := make(map[uint64][]int, len(series))
	for i := range series {
		if len(series[i].Samples)+len(series[i].Histograms) > 0 {
			h := ls[i].Hash()
			withPoints[h] = append(withPoints[h], i)
		}
	}
	joined := make(map[int]bool, len(lone))
	for _, i := range lone {
		for _, j := range withPoints[ls[i].Hash()] {
			if labels.Equal(ls[i], ls[j]) {
				series[j].Exemplars = append(series[j].Exemplars, series[i].Exemplars...)
				joined[i] = true
				break
			}
		}
	}
	return dropJoined(series, joined)
}

// refsString prints label refs, a long list cut short: an error message
// stays small whatever a sender sends.
func refsString(refs []uint32) string {
	const maxShown = 16
	if len(refs) <= maxShown {
		return fmt.Sprint(refs)
	}
	return fmt.Sprintf("%v ... (%d refs)", refs[:maxShown], len(refs))
}

func refsInRange(refs []uint32, n int) bool {
	for _, r := range refs {
		if int(r) >= n {
			return false
		}
	}
	return true
}

// recorder captures the delegated 2.0 handler's response.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) copyTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	if r.code == 0 {
		r.code = http.StatusOK
	}
	w.WriteHeader(r.code)
	_, _ = w.Write(r.body.Bytes())
}

// seriesString renders raw labels for an error message, shortening long
// values so that one bad series cannot blow up the response.
func seriesString(n int, at labelAt) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range min(n, 40) {
		if i > 0 {
			b.WriteString(", ")
		}
		name, value := at(i)
		fmt.Fprintf(&b, "%s=%q", truncate(name), truncate(value))
	}
	if n > 40 {
		fmt.Fprintf(&b, ", ... %d more", n-40)
	}
	b.WriteByte('}')
	return b.String()
}

func truncate(s string) string {
	const maxLen = 64
	if len(s) <= maxLen {
		return s
	}
	cut := maxLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// dropJoined removes, in place, the series whose exemplars were joined to
// another series of the request (their indexes in joined).
func dropJoined[T any](series []T, joined map[int]bool) []T {
	if len(joined) == 0 {
		return series
	}
	kept := series[:0]
	for i, ts := range series {
		if !joined[i] {
			kept = append(kept, ts)
		}
	}
	return kept
}
