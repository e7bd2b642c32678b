package api

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Kinds of actuator.
const (
	ActuatorWebhook = "webhook"
	ActuatorExec    = "exec"
	ActuatorFile    = "file"
)

// DefaultActuatorTimeout bounds one actuation when the config sets none.
const DefaultActuatorTimeout = 30 * time.Second

// ActuatorConfig is a model's actuator, as stored in the registry.
type ActuatorConfig struct {
	Kind string `json:"kind" yaml:"kind"`
	// URL is the webhook endpoint.
	URL string `json:"url,omitempty" yaml:"url,omitempty"`
	// Headers are sent with the webhook request (e.g. an Authorization).
	Headers map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
	// Command is the exec argv; it is not run through a shell unless it
	// names one (["sh", "-c", "kubectl rollout undo deploy/$MLECTL_MODEL"]).
	Command []string `json:"command,omitempty" yaml:"command,omitempty"`
	// Path is the routing file the file actuator rewrites.
	Path string `json:"path,omitempty" yaml:"path,omitempty"`
	// TimeoutSeconds bounds one actuation (DefaultActuatorTimeout when 0).
	TimeoutSeconds float64 `json:"timeout_seconds,omitempty" yaml:"timeout_seconds,omitempty"`
}

// Validate reports the first field that makes c unusable.
func (c ActuatorConfig) Validate() error {
	switch c.Kind {
	case ActuatorWebhook:
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("actuator.url %q is not an http(s) URL", redactURL(c.URL))
		}
		if ip := net.ParseIP(strings.Trim(u.Hostname(), "[]")); ip != nil && ForbiddenWebhookIP(ip) {
			return fmt.Errorf("actuator.url %q points at a link-local or cloud metadata address (169.254.0.0/16, fe80::/10): webhooks may not reach it", redactURL(c.URL))
		}
		if err := validateHeaders(c.Headers); err != nil {
			return err
		}
	case ActuatorExec:
		if len(c.Command) == 0 || c.Command[0] == "" {
			return fmt.Errorf("actuator.command is empty")
		}

	case ActuatorFile:
		if c.Path == "" || !filepath.IsAbs(c.Path) {
			return fmt.Errorf("actuator.path %q must be an absolute file path", c.Path)
		}
	case "":
		return fmt.Errorf("actuator.kind is empty (webhook, exec or file)")
	default:
		return fmt.Errorf("actuator.kind %q is not one of webhook, exec, file", c.Kind)
	}
	if c.TimeoutSeconds < 0 || c.TimeoutSeconds > 3600 {
		return fmt.Errorf("actuator.timeout_seconds %v is outside 0..3600", c.TimeoutSeconds)
	}
	return nil
}

// ActuatorRoute is one version's share of traffic after the action.
type ActuatorRoute struct {
	Version     string  `json:"version"`
	Stage       string  `json:"stage"`
	ArtifactURI string  `json:"artifact_uri"`
	SHA256      string  `json:"sha256"`
	Weight      float64 `json:"weight"`
}

// ActuatorRequest is the action handed to an actuator: what to do, and the complete
// routing the serving system should end up with.
type ActuatorRequest struct {
	Action         string          `json:"action"`
	Model          string          `json:"model"`
	FromVersion    string          `json:"from_version,omitempty"`
	ToVersion      string          `json:"to_version"`
	TrafficPercent float64         `json:"traffic_percent"`
	Reason         string          `json:"reason,omitempty"`
	Actor          string          `json:"actor,omitempty"`
	RequestedAt    time.Time       `json:"requested_at"`
	Routes         []ActuatorRoute `json:"routes"`
}

// Redacted stands in for a secret the API never serves: a header value, a
// URL's password or query values.
const Redacted = "REDACTED"

// Public returns c as the API may serve it. Header values are never served:
// with names (an admin caller) the header names stay, each with the value
// Redacted; without, the headers are dropped. A webhook URL's password and
// query values (where tokens hide) are replaced by Redacted too. The exec
// actuator has no configured environment to hide: its MLECTL_* variables
// are built per action and never stored.
func (c ActuatorConfig) Public(names bool) ActuatorConfig {
	out := c
	out.Command = append([]string(nil), c.Command...)
	out.Headers = nil
	if names && len(c.Headers) > 0 {
		out.Headers = make(map[string]string, len(c.Headers))
		for k := range c.Headers {
			out.Headers[k] = Redacted
		}
	}
	out.URL = redactURL(c.URL)
	return out
}

// HeaderNames lists the configured header names, sorted.
func (c ActuatorConfig) HeaderNames() []string {
	out := make([]string, 0, len(c.Headers))
	for k := range c.Headers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), Redacted)
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{Redacted}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// validateHeaders refuses what would corrupt or split the webhook request
// (CR, LF, NUL or other control characters; names that are not HTTP
// tokens) and the redaction placeholder (a served config sent back).
func validateHeaders(h map[string]string) error {
	for _, k := range (ActuatorConfig{Headers: h}).HeaderNames() {
		if k == "" || strings.IndexFunc(k, func(r rune) bool { return !isTokenChar(r) }) >= 0 {
			return fmt.Errorf("actuator.headers: name %q is not a valid HTTP header name (letters, digits and !#$%%&'*+-.^_`|~ only)", k)
		}
		v := h[k]
		if i := strings.IndexFunc(v, func(r rune) bool { return r != '\t' && (r < 0x20 || r == 0x7f) }); i >= 0 {
			return fmt.Errorf("actuator.headers[%s]: the value contains the control character %q at byte %d (CR/LF would split the request)", k, v[i], i)
		}
		if v == Redacted {
			return fmt.Errorf("actuator.headers[%s] is the placeholder %q the API shows instead of the secret: send the real value", k, Redacted)
		}
	}
	return nil
}

func isTokenChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-.^_`|~", r)
}

// metadataIPs are cloud metadata endpoints outside the link-local ranges.
var metadataIPs = []net.IP{net.ParseIP("fd00:ec2::254")}

// ForbiddenWebhookIP reports a link-local (169.254.0.0/16, fe80::/10, where cloud
// metadata services answer) or metadata address.
func ForbiddenWebhookIP(ip net.IP) bool {
	if ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() {
		return true
	}
	for _, m := range metadataIPs {
		if m.Equal(ip) {
			return true
		}
	}
	return false
}
