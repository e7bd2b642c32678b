package actuator

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Redacted stands in for a secret the API never serves: a header value, a
// URL's password or query values.
const Redacted = "REDACTED"

// Public returns c as the API may serve it. Header values are never served:
// with names (an admin caller) the header names stay, each with the value
// Redacted; without, the headers are dropped. A webhook URL's password and
// query values (where tokens hide) are replaced by Redacted too. The exec
// actuator has no configured environment to hide: its MLECTL_* variables
// are built per action and never stored.
func (c Config) Public(names bool) Config {
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
func (c Config) HeaderNames() []string {
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
	for _, k := range (Config{Headers: h}).HeaderNames() {
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

// forbiddenIP reports a link-local (169.254.0.0/16, fe80::/10, where cloud
// metadata services answer) or metadata address.
func forbiddenIP(ip net.IP) bool {
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

// webhookTransport refuses to connect to a forbidden address however the
// URL's host name resolves (Validate can only check literal addresses).
var webhookTransport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip != nil && forbiddenIP(ip) {
				return fmt.Errorf("webhook refused: %s is a link-local or cloud metadata address", host)
			}
			return nil
		},
	}).DialContext
	return t
}()
