package cost

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"
)

// DefaultRateWindow is the traffic rate window when rate_window is unset.
const DefaultRateWindow = 5 * time.Minute

// Config is the `cost:` block of the collector configuration.
type Config struct {
	// RateWindow is the range of rate(mle_predictions_total[...]).
	RateWindow time.Duration `yaml:"rate_window,omitempty"`
	// Models are the priced models, by name.
	Models map[string]ModelCost `yaml:"models,omitempty"`
}

// Fleet prices one fleet of replicas. A nil field is unset: a version
// inherits it from its model, a model counts it as 0.
type Fleet struct {
	PricePerReplicaHour *float64 `yaml:"price_per_replica_hour,omitempty"`
	PricePerGPUHour     *float64 `yaml:"price_per_gpu_hour,omitempty"`
	GPUsPerReplica      *float64 `yaml:"gpus_per_replica,omitempty"`
	PricePer1kTokens    *float64 `yaml:"price_per_1k_tokens,omitempty"`
	// TokensPerSecond is a PromQL expression of the fleet's token rate.
	TokensPerSecond string `yaml:"tokens_per_second,omitempty"`
	// Replicas is a fixed count or a PromQL expression (summed).
	Replicas *Replicas `yaml:"replicas,omitempty"`
}

// ModelCost is one model's entry.
type ModelCost struct {
	Fleet `yaml:",inline"`
	// BudgetHourly is the hourly cost above which CostOverBudget fires.
	BudgetHourly *float64 `yaml:"budget_hourly,omitempty"`
	// Versions price versions as fleets of their own.
	Versions map[string]Fleet `yaml:"versions,omitempty"`
}

// Replicas is `replicas:`: a number, or a PromQL expression as a string.
type Replicas struct {
	Fixed float64
	Query string
}

// UnmarshalYAML reads a number as Fixed and a string as Query.
func (r *Replicas) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: replicas must be a number or a PromQL expression string", n.Line)
	}
	if n.Tag == "!!int" || n.Tag == "!!float" {
		return n.Decode(&r.Fixed)
	}
	if n.Tag != "!!str" {
		return fmt.Errorf("line %d: replicas %q must be a number or a PromQL expression string", n.Line, n.Value)
	}
	r.Query = n.Value
	return nil
}

// MarshalYAML writes Fixed as a number, Query as a string.
func (r Replicas) MarshalYAML() (any, error) {
	if r.Query != "" {
		return r.Query, nil
	}
	return r.Fixed, nil
}

// Empty reports whether the block prices nothing.
func (c Config) Empty() bool { return len(c.Models) == 0 }

// Window is RateWindow with the default applied.
func (c Config) Window() time.Duration {
	if c.RateWindow <= 0 {
		return DefaultRateWindow
	}
	return c.RateWindow
}

// Validate reports every field that makes c unusable, each named by its
// path (cost.models.fraud.price_per_gpu_hour).
func (c Config) Validate() error {
	var errs []error
	if c.RateWindow < 0 {
		errs = append(errs, fmt.Errorf("cost.rate_window must not be negative, got %s", c.RateWindow))
	}
	for _, name := range slices.Sorted(maps.Keys(c.Models)) {
		m := c.Models[name]
		path := "cost.models." + name
		if name == "" {
			errs = append(errs, errors.New("cost.models: a model name is empty"))
		}
		errs = append(errs, m.Fleet.validate(path))
		errs = append(errs, nonNegative(path+".budget_hourly", m.BudgetHourly))
		for _, v := range slices.Sorted(maps.Keys(m.Versions)) {
			f := m.Versions[v]
			errs = append(errs, f.validate(path+".versions."+v))
			if f.inherit(m.Fleet).PricePer1kTokens != nil && f.inherit(m.Fleet).TokensPerSecond == "" {
				errs = append(errs, fmt.Errorf("%s.versions.%s: price_per_1k_tokens needs tokens_per_second (a PromQL expression of the token rate)", path, v))
			}
		}
		if len(m.Versions) == 0 && m.PricePer1kTokens != nil && m.TokensPerSecond == "" {
			errs = append(errs, fmt.Errorf("%s: price_per_1k_tokens needs tokens_per_second (a PromQL expression of the token rate)", path))
		}
	}
	return errors.Join(errs...)
}

func (f Fleet) validate(path string) error {
	errs := []error{
		nonNegative(path+".price_per_replica_hour", f.PricePerReplicaHour),
		nonNegative(path+".price_per_gpu_hour", f.PricePerGPUHour),
		nonNegative(path+".gpus_per_replica", f.GPUsPerReplica),
		nonNegative(path+".price_per_1k_tokens", f.PricePer1kTokens),
	}
	if f.Replicas != nil {
		if f.Replicas.Query != "" {
			errs = append(errs, promQL(path+".replicas", f.Replicas.Query))
		} else {
			errs = append(errs, nonNegative(path+".replicas", &f.Replicas.Fixed))
		}
	}
	if f.TokensPerSecond != "" {
		errs = append(errs, promQL(path+".tokens_per_second", f.TokensPerSecond))
	}
	return errors.Join(errs...)
}

func nonNegative(field string, v *float64) error {
	switch {
	case v == nil:
		return nil
	case math.IsNaN(*v) || math.IsInf(*v, 0):
		return fmt.Errorf("%s must be a finite number, got %v", field, *v)
	case *v < 0:
		return fmt.Errorf("%s must not be negative, got %v", field, *v)
	}
	return nil
}

func promQL(field, expr string) error {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return fmt.Errorf("%s %q is not a PromQL expression: %w", field, expr, err)
	}
	if t := e.Type(); t != parser.ValueTypeVector && t != parser.ValueTypeScalar {
		return fmt.Errorf("%s %q is a %s; want an instant vector or a scalar (a selector such as kube_deployment_status_replicas{deployment=\"...\"})", field, expr, t)
	}
	return nil
}

// inherit returns f with its unset fields taken from m.
func (f Fleet) inherit(m Fleet) Fleet {
	pick := func(a, b *float64) *float64 {
		if a != nil {
			return a
		}
		return b
	}
	out := Fleet{
		PricePerReplicaHour: pick(f.PricePerReplicaHour, m.PricePerReplicaHour),
		PricePerGPUHour:     pick(f.PricePerGPUHour, m.PricePerGPUHour),
		GPUsPerReplica:      pick(f.GPUsPerReplica, m.GPUsPerReplica),
		PricePer1kTokens:    pick(f.PricePer1kTokens, m.PricePer1kTokens),
		TokensPerSecond:     f.TokensPerSecond,
		Replicas:            f.Replicas,
	}
	if out.TokensPerSecond == "" {
		out.TokensPerSecond = m.TokensPerSecond
	}
	if out.Replicas == nil {
		out.Replicas = m.Replicas
	}
	return out
}

// ErrUnknownModel marks a cost entry for a model the collector does not know.
var ErrUnknownModel = errors.New("unknown model")

// CheckModels refuses entries for models known reports unknown.
func (c Config) CheckModels(known func(string) (bool, error)) error {
	for _, name := range slices.Sorted(maps.Keys(c.Models)) {
		ok, err := known(name)
		if err != nil {
			return fmt.Errorf("cost.models.%s: looking the model up: %w", name, err)
		}
		if !ok {
			return fmt.Errorf("cost.models.%s: %w %s: declare it under models: or register it before pricing it", name, ErrUnknownModel, name)
		}
	}
	return nil
}
