package alerting

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// WebhookMessage is the Alertmanager webhook payload (version 4), so any
// receiver written for Alertmanager's webhook_config accepts it.
type WebhookMessage struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []WebhookAlert    `json:"alerts"`
}

// WebhookAlert is one alert of a WebhookMessage.
type WebhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// WebhookOptions tune delivery to one webhook.
type WebhookOptions struct {
	// QueueCapacity bounds the messages waiting for delivery; when full,
	// the oldest is dropped (and counted). Default 1000.
	QueueCapacity int
	// Timeout of one HTTP attempt. Default 10s.
	Timeout time.Duration
	// MaxAttempts per message, the first included. Default 5.
	MaxAttempts int
	// Backoff before the second attempt; doubled for each further one up
	// to MaxBackoff. Defaults 500ms and 30s.
	Backoff    time.Duration
	MaxBackoff time.Duration
}

func (o *WebhookOptions) defaults() {
	if o.QueueCapacity <= 0 {
		o.QueueCapacity = 1000
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
}

type webhookMetrics struct {
	sent, failed, dropped *prometheus.CounterVec
	queue                 *prometheus.GaugeVec
}

func newWebhookMetrics(reg prometheus.Registerer) *webhookMetrics {
	m := &webhookMetrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlectl_alerting_webhook_sent_total", Help: "Webhook messages delivered (2xx).",
		}, []string{"url"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlectl_alerting_webhook_failed_total", Help: "Webhook messages given up after all attempts or refused with a 4xx.",
		}, []string{"url"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mlectl_alerting_webhook_dropped_total", Help: "Webhook messages dropped because the queue was full.",
		}, []string{"url"}),
		queue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mlectl_alerting_webhook_queue_length", Help: "Webhook messages waiting for delivery.",
		}, []string{"url"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.sent, m.failed, m.dropped, m.queue} {
			_ = reg.Register(c)
		}
	}
	return m
}

// webhook delivers messages to one URL from a bounded queue on its own
// goroutine, so a slow or down receiver never blocks rule evaluation.
type webhook struct {
	url     string
	opts    WebhookOptions
	client  *http.Client
	logger  *slog.Logger
	metrics *webhookMetrics

	mu    sync.Mutex
	queue [][]byte
	work  chan struct{}
	done  chan struct{}
}

func newWebhook(url string, opts WebhookOptions, logger *slog.Logger, m *webhookMetrics) *webhook {
	opts.defaults()
	return &webhook{
		url:     url,
		opts:    opts,
		client:  &http.Client{Timeout: opts.Timeout},
		logger:  logger.With("webhook", url),
		metrics: m,
		work:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
}

// enqueue never blocks: a full queue drops its oldest message.
func (w *webhook) enqueue(msg *WebhookMessage) {
	b, err := json.Marshal(msg)
	if err != nil {
		w.logger.Error("encoding webhook message", "err", err)
		return
	}
	w.mu.Lock()
	if len(w.queue) >= w.opts.QueueCapacity {
		w.queue = w.queue[1:]
		w.metrics.dropped.WithLabelValues(w.url).Inc()
	}
	w.queue = append(w.queue, b)
	w.metrics.queue.WithLabelValues(w.url).Set(float64(len(w.queue)))
	w.mu.Unlock()
	select {
	case w.work <- struct{}{}:
	default:
	}
}

func (w *webhook) pop() ([]byte, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		return nil, false
	}
	b := w.queue[0]
	w.queue[0] = nil
	w.queue = w.queue[1:]
	w.metrics.queue.WithLabelValues(w.url).Set(float64(len(w.queue)))
	return b, true
}

// run delivers until ctx is done.
func (w *webhook) run(ctx context.Context) {
	defer close(w.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.work:
		}
		for {
			b, ok := w.pop()
			if !ok {
				break
			}
			w.deliver(ctx, b)
			if ctx.Err() != nil {
				return
			}
		}
	}
}

// deliver posts b, retrying network errors, 429 and 5xx with exponential
// backoff.
func (w *webhook) deliver(ctx context.Context, b []byte) {
	backoff := w.opts.Backoff
	var lastErr error
	for attempt := 1; attempt <= w.opts.MaxAttempts; attempt++ {
		retry, err := w.post(ctx, b)
		if err == nil {
			w.metrics.sent.WithLabelValues(w.url).Inc()
			return
		}
		lastErr = err
		if !retry || attempt == w.opts.MaxAttempts {
			break
		}
		w.logger.Warn("webhook delivery failed, retrying", "attempt", attempt, "backoff", backoff, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, w.opts.MaxBackoff)
	}
	w.metrics.failed.WithLabelValues(w.url).Inc()
	w.logger.Error("webhook delivery failed, message dropped", "err", lastErr)
}

func (w *webhook) post(ctx context.Context, b []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(b))
	if err != nil {
		return false, fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mlectl-alerting")
	resp, err := w.client.Do(req)
	if err != nil {
		return true, fmt.Errorf("posting to webhook %s: %w", w.url, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode/100 == 5:
		return true, fmt.Errorf("webhook %s answered %s", w.url, resp.Status)
	}
	return false, fmt.Errorf("webhook %s refused the message: %s", w.url, resp.Status)
}
