package cluster

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mlectl/mlectl/api"
)

// Ownership modes of Config.Ownership.
const (
	// OwnershipHash places every model no collector lists explicitly by a
	// rendezvous hash of its name over this collector and its peers.
	OwnershipHash = "hash"
	// OwnershipList: a model belongs to the collector whose models list
	// names it; a model no collector lists is refused.
	OwnershipList = "list"
)

// Defaults of Config's durations.
const (
	DefaultTimeout        = 10 * time.Second
	DefaultForwardTimeout = 2 * time.Minute
	DefaultRefresh        = 30 * time.Second
)

// Config is the collector configuration's `cluster:` block:
//
//	cluster:
//	  name: collector-a                 # this collector
//	  url: http://10.0.0.1:9710         # how peers and consoles reach it
//	  models: [demand]                  # models this collector owns explicitly
//	  ownership: hash                   # the rest: hash (default) or list
//	  peers:
//	    - {name: collector-b, url: http://10.0.0.2:9710, models: [fraud]}
//	  fleet_rules: collector-a          # evaluates fleet_rule_files
//	  fleet_rule_files: [rules/fleet.yml]
//	  timeout: 10s                      # connecting; a peer's models list
//	  forward_timeout: 2m               # a forwarded call's answer
//	  refresh: 30s                      # re-reading the owner series
//
// Every collector of a cluster should carry the same peers, lists and
// ownership (each with its own name and url): the hash then places a model
// on the same collector wherever it is asked.
type Config struct {
	Name      string   `yaml:"name"`
	URL       string   `yaml:"url"`
	Models    []string `yaml:"models,omitempty"`
	Ownership string   `yaml:"ownership,omitempty"`
	Peers     []Peer   `yaml:"peers,omitempty"`
	// FleetRules names the one collector that evaluates FleetRuleFiles:
	// rules that span models (fleet-wide SLOs). Every other collector
	// skips those files; rules.rule_files stay per collector.
	FleetRules     string   `yaml:"fleet_rules,omitempty"`
	FleetRuleFiles []string `yaml:"fleet_rule_files,omitempty"`
	// Timeout bounds connecting to a peer and one peer's models list
	// (the console waits on it).
	Timeout time.Duration `yaml:"timeout,omitempty"`
	// ForwardTimeout bounds how long a forwarded call waits for the
	// owner's answer: longer than an actuator may take (30s by default),
	// since giving up would cancel a rollback midway on the owner.
	ForwardTimeout time.Duration `yaml:"forward_timeout,omitempty"`
	// Refresh is how often the owner series are written and read back.
	Refresh time.Duration `yaml:"refresh,omitempty"`
}

// Peer is another collector of the cluster.
type Peer struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	// Models it owns explicitly (optional: its announcements in the shared
	// store say the same; listing them here keeps them routable while the
	// store is unreachable or before it announced).
	Models []string `yaml:"models,omitempty"`
}

// Member is a collector: its name and base URL.
type Member struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Validate reports the first field of c that is wrong, named as in the
// configuration file (cluster.peers[1].url ...).
func (c *Config) Validate() error {
	if c == nil {
		return nil
	}
	if !api.ValidName(c.Name) {
		return fmt.Errorf("cluster.name %q must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}", c.Name)
	}
	if err := checkURL(c.URL); err != nil {
		return fmt.Errorf("cluster.url: %w", err)
	}
	switch c.Ownership {
	case "", OwnershipHash, OwnershipList:
	default:
		return fmt.Errorf("cluster.ownership %q is not hash or list", c.Ownership)
	}
	claimed := map[string]string{}
	claim := func(field, owner string, models []string) error {
		for _, m := range models {
			if !api.ValidName(m) {
				return fmt.Errorf("%s: model %q must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}", field, m)
			}
			if prev, ok := claimed[m]; ok {
				return fmt.Errorf("%s: model %q is listed for both %s and %s; a model has one owner", field, m, prev, owner)
			}
			claimed[m] = owner
		}
		return nil
	}
	if err := claim("cluster.models", c.Name, c.Models); err != nil {
		return err
	}
	names := map[string]bool{c.Name: true}
	urls := map[string]bool{strings.TrimRight(c.URL, "/"): true}
	for i, p := range c.Peers {
		field := fmt.Sprintf("cluster.peers[%d]", i)
		if !api.ValidName(p.Name) {
			return fmt.Errorf("%s.name %q must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}", field, p.Name)
		}
		if names[p.Name] {
			return fmt.Errorf("%s.name %q is used twice (this collector is %s)", field, p.Name, c.Name)
		}
		names[p.Name] = true
		if err := checkURL(p.URL); err != nil {
			return fmt.Errorf("%s.url: %w", field, err)
		}
		if u := strings.TrimRight(p.URL, "/"); urls[u] {
			return fmt.Errorf("%s.url %q is used twice", field, p.URL)
		} else {
			urls[u] = true
		}
		if err := claim(field+".models", p.Name, p.Models); err != nil {
			return err
		}
	}
	if c.FleetRules != "" && !names[c.FleetRules] {
		return fmt.Errorf("cluster.fleet_rules %q is neither this collector (%s) nor one of its peers", c.FleetRules, c.Name)
	}
	if len(c.FleetRuleFiles) > 0 && c.FleetRules == "" {
		return errors.New("cluster.fleet_rule_files is set without cluster.fleet_rules: name the collector that evaluates them")
	}
	if c.Timeout < 0 || c.ForwardTimeout < 0 || c.Refresh < 0 {
		return errors.New("cluster.timeout, cluster.forward_timeout and cluster.refresh must not be negative")
	}
	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) base URL (e.g. http://10.0.0.2:9710)", s)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return fmt.Errorf("%q has a path or query; give the collector's base URL", s)
	}
	return nil
}

// Self is this collector.
func (c *Config) Self() Member { return Member{Name: c.Name, URL: strings.TrimRight(c.URL, "/")} }

// Members are this collector and its peers, the hash's candidates.
func (c *Config) Members() []Member {
	out := []Member{c.Self()}
	for _, p := range c.Peers {
		out = append(out, Member{Name: p.Name, URL: strings.TrimRight(p.URL, "/")})
	}
	return out
}

// EvaluatesFleetRules reports whether this collector evaluates the rules
// that span models.
func (c *Config) EvaluatesFleetRules() bool { return c != nil && c.FleetRules == c.Name }

func (c *Config) timeout() time.Duration {
	if c.Timeout == 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

func (c *Config) forwardTimeout() time.Duration {
	if c.ForwardTimeout == 0 {
		return DefaultForwardTimeout
	}
	return c.ForwardTimeout
}

func (c *Config) refresh() time.Duration {
	if c.Refresh == 0 {
		return DefaultRefresh
	}
	return c.Refresh
}

func (c *Config) ownsStatically(model string) bool { return slices.Contains(c.Models, model) }
