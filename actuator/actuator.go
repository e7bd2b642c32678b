package actuator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/internal/atomicfile"
)

// Kinds of actuator.
const (
	KindWebhook = api.ActuatorWebhook
	KindExec    = api.ActuatorExec
	KindFile    = api.ActuatorFile
)

// DefaultTimeout bounds one actuation when the config sets none.
const DefaultTimeout = api.DefaultActuatorTimeout

// Config is a model's actuator, as stored in the registry and served by the
// API (package api holds the type and its validation and redaction).
type Config = api.ActuatorConfig

func timeoutOf(c Config) time.Duration {
	if c.TimeoutSeconds > 0 {
		return time.Duration(c.TimeoutSeconds * float64(time.Second))
	}
	return DefaultTimeout
}

// Route is one version's share of traffic after the action.
type Route = api.ActuatorRoute

// Request is the action handed to an actuator: what to do, and the complete
// routing the serving system should end up with.
type Request = api.ActuatorRequest

// Actuator carries out a Request.
type Actuator interface {
	Apply(ctx context.Context, req Request) error
}

// New returns the actuator described by c.
func New(c Config) (Actuator, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	switch c.Kind {
	case KindWebhook:
		return &Webhook{cfg: c, client: &http.Client{Transport: webhookTransport}}, nil
	case KindExec:
		return &Exec{cfg: c}, nil
	default:
		return &File{cfg: c}, nil
	}
}

// Webhook POSTs the request as JSON and expects a 2xx answer.
type Webhook struct {
	cfg    Config
	client *http.Client
}

// Apply implements Actuator.
func (w *Webhook) Apply(ctx context.Context, req Request) error {
	ctx, cancel := context.WithTimeout(ctx, timeoutOf(w.cfg))
	defer cancel()
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encoding webhook body: %w", err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.cfg.URL, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("User-Agent", "mlectl-actuator")
	for k, v := range w.cfg.Headers {
		hr.Header.Set(k, v)
	}
	resp, err := w.client.Do(hr)
	if err != nil {
		return fmt.Errorf("webhook %s unreachable: %w", w.cfg.URL, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s answered %s: %s", w.cfg.URL, resp.Status, strings.TrimSpace(string(snippet)))
	}
	return nil
}

// Exec runs a command with the action in its environment and the request
// JSON on stdin; a non-zero exit fails the action.
type Exec struct{ cfg Config }

// Env returns the MLECTL_* variables describing req.
func Env(req Request) []string {
	return []string{
		"MLECTL_ACTION=" + req.Action,
		"MLECTL_MODEL=" + req.Model,
		"MLECTL_FROM_VERSION=" + req.FromVersion,
		"MLECTL_TO_VERSION=" + req.ToVersion,
		"MLECTL_TRAFFIC_PERCENT=" + strconv.FormatFloat(req.TrafficPercent, 'f', -1, 64),
		"MLECTL_REASON=" + req.Reason,
		"MLECTL_ACTOR=" + req.Actor,
	}
}

// Apply implements Actuator.
func (e *Exec) Apply(ctx context.Context, req Request) error {
	ctx, cancel := context.WithTimeout(ctx, timeoutOf(e.cfg))
	defer cancel()
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encoding exec stdin: %w", err)
	}
	cmd := exec.CommandContext(ctx, e.cfg.Command[0], e.cfg.Command[1:]...)
	cmd.Env = append(os.Environ(), Env(req)...)
	cmd.Stdin = bytes.NewReader(body)
	var out tailBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("command %s did not finish within %s: %s", e.cfg.Command[0], timeoutOf(e.cfg), out.String())
		}
		return fmt.Errorf("command %s failed (%v): %s", e.cfg.Command[0], err, out.String())
	}
	return nil
}

// tailBuffer keeps the last 2 KiB written, enough to explain a failure.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2048 {
		t.b = t.b[len(t.b)-2048:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return strings.TrimSpace(string(t.b)) }

// File rewrites a JSON routing file: write a temporary file in the same
// directory, fsync it, rename it over the target and fsync the directory,
// so a watcher sees either the old or the new routing, never a torn write.
type File struct{ cfg Config }

// RoutingFile is the content the file actuator writes.
type RoutingFile struct {
	Model     string    `json:"model"`
	UpdatedAt time.Time `json:"updated_at"`
	Action    string    `json:"action"`
	Actor     string    `json:"actor,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Routes    []Route   `json:"routes"`
}

// Apply implements Actuator.
func (f *File) Apply(ctx context.Context, req Request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(RoutingFile{
		Model: req.Model, UpdatedAt: req.RequestedAt.UTC(), Action: req.Action,
		Actor: req.Actor, Reason: req.Reason, Routes: req.Routes,
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding routing file: %w", err)
	}
	if err := WriteFileAtomic(f.cfg.Path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("routing file %w", err)
	}
	return nil
}

// WriteFileAtomic replaces path with data via temp file + fsync + rename
// (see package atomicfile).
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return atomicfile.Write(path, data, perm)
}
