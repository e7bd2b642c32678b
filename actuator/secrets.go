package actuator

import (
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/mlectl/mlectl/api"
)

// Redacted stands in for a secret the API never serves.
const Redacted = api.Redacted

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
			if ip := net.ParseIP(host); ip != nil && api.ForbiddenWebhookIP(ip) {
				return fmt.Errorf("webhook refused: %s is a link-local or cloud metadata address", host)
			}
			return nil
		},
	}).DialContext
	return t
}()
