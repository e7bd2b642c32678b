package cost

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/internal/series"
)

// Storage is what the tracker reads traffic and replicas from and writes
// the cost series into: the collector's TSDB.
type Storage interface {
	storage.Queryable
	storage.Appendable
}

// queryTimeout bounds one expression of one interval.
const queryTimeout = 30 * time.Second

// Tracker computes and writes the cost series of a Config.
type Tracker struct {
	cfg    Config
	engine *promql.Engine
	parser parser.Parser
	logger *slog.Logger
}

// New returns the tracker of cfg (validated by ParseConfig); logger may be
// nil.
func New(cfg Config, logger *slog.Logger) *Tracker {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p := parser.NewParser(parser.Options{})
	return &Tracker{cfg: cfg, logger: logger, parser: p, engine: promql.NewEngine(promql.EngineOpts{
		Logger:        logger.With("component", "cost query engine"),
		MaxSamples:    50_000_000,
		Timeout:       queryTimeout,
		LookbackDelta: 5 * time.Minute,
		Parser:        p,
	})}
}

// instant evaluates expr at ts and returns its samples by label set (a
// scalar under the empty set); an empty result is an empty map.
func (t *Tracker) instant(ctx context.Context, db storage.Queryable, expr string, ts time.Time) (map[string]float64, map[string]labels.Labels, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	q, err := t.engine.NewInstantQuery(ctx, db, nil, expr, ts)
	if err != nil {
		return nil, nil, err
	}
	defer q.Close()
	res := q.Exec(ctx)
	if res.Err != nil {
		return nil, nil, res.Err
	}
	vals, lsets := map[string]float64{}, map[string]labels.Labels{}
	switch v := res.Value.(type) {
	case promql.Vector:
		for _, s := range v {
			if s.H != nil {
				continue
			}
			k := s.Metric.String()
			vals[k], lsets[k] = s.F, s.Metric
		}
	case promql.Scalar:
		vals[""] = v.V
	}
	return vals, lsets, nil
}

// sum evaluates expr and adds its samples; ok is false when it returned none.
func (t *Tracker) sum(ctx context.Context, db storage.Queryable, expr string, ts time.Time) (float64, bool, error) {
	vals, _, err := t.instant(ctx, db, expr, ts)
	if err != nil || len(vals) == 0 {
		return 0, false, err
	}
	var s float64
	for _, v := range vals {
		s += v
	}
	return s, true, nil
}

func val(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// Hourly is the cost of one hour of a fleet of replicas (fractional
// replicas allowed: an average) emitting tokensPerSecond tokens.
func (f Fleet) Hourly(replicas, tokensPerSecond float64) float64 {
	return replicas*val(f.PricePerReplicaHour) +
		replicas*val(f.GPUsPerReplica)*val(f.PricePerGPUHour) +
		tokensPerSecond*3600/1000*val(f.PricePer1kTokens)
}

// hourly evaluates the fleet's replica and token expressions at ts; ok is
// false when one of them returned nothing (its cost is unknown).
func (t *Tracker) hourly(ctx context.Context, db storage.Queryable, f Fleet, ts time.Time) (float64, bool, error) {
	var replicas, tokens float64
	if f.Replicas != nil {
		replicas = f.Replicas.Fixed
		if f.Replicas.Query != "" {
			v, ok, err := t.sum(ctx, db, f.Replicas.Query, ts)
			if err != nil || !ok {
				return 0, false, err
			}
			replicas = v
		}
	}
	if f.TokensPerSecond != "" {
		v, ok, err := t.sum(ctx, db, f.TokensPerSecond, ts)
		if err != nil || !ok {
			return 0, false, err
		}
		tokens = v
	}
	return f.Hourly(replicas, tokens), true, nil
}

// traffic is the prediction rate per version of model at ts.
func (t *Tracker) traffic(ctx context.Context, db storage.Queryable, model string, ts time.Time) (map[string]float64, error) {
	expr := fmt.Sprintf(`sum by (version) (rate(%s{model=%s}[%s]))`, api.MetricPredictionsTotal, strconv.Quote(model), promDuration(t.cfg.Window()))
	vals, lsets, err := t.instant(ctx, db, expr, ts)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for k, v := range vals {
		out[lsets[k].Get("version")] = v
	}
	return out, nil
}

func promDuration(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) + "ms" }

// per1k is the cost of 1000 predictions of a fleet costing hourly per hour
// serving rate predictions per second; NaN (no sample) without traffic.
func per1k(hourly, rate float64) float64 {
	if rate <= 0 {
		return math.NaN()
	}
	return hourly / (rate * 3600 / 1000)
}

// AppendTo computes the cost series at ts from db and writes them into it.
// A model whose expressions fail is skipped (and logged); the others are
// written.
func (t *Tracker) AppendTo(ctx context.Context, db Storage, ts time.Time) error {
	var samples []series.Sample
	add := func(name string, v float64, lv ...string) {
		samples = append(samples, series.Sample{Labels: labels.FromStrings(append([]string{"__name__", name}, lv...)...), V: v})
	}
	for _, name := range slices.Sorted(maps.Keys(t.cfg.Models)) {
		m := t.cfg.Models[name]
		if m.BudgetHourly != nil {
			add(api.MetricCostBudgetHourly, *m.BudgetHourly, "model", name)
		}
		rates, err := t.traffic(ctx, db, name, ts)
		if err != nil {
			t.logger.Warn("cost: reading the model's traffic failed", "model", name, "err", err)
			continue
		}
		if len(m.Versions) == 0 {
			hourly, ok, err := t.hourly(ctx, db, m.Fleet, ts)
			if err != nil {
				t.logger.Warn("cost: evaluating the model's replicas or tokens failed", "model", name, "err", err)
				continue
			}
			if !ok {
				continue
			}
			add(api.MetricCostHourly, hourly, "model", name)
			var total float64
			for _, r := range rates {
				total += r
			}
			for _, v := range sortedKeys(rates) {
				if rates[v] > 0 {
					add(api.MetricCostPer1kPredictions, per1k(hourly, total), "model", name, "version", v)
				}
			}
			continue
		}
		var sum float64
		known := true
		for _, v := range sortedKeys(m.Versions) {
			hourly, ok, err := t.hourly(ctx, db, m.Versions[v].inherit(m.Fleet), ts)
			if err != nil {
				t.logger.Warn("cost: evaluating the version's replicas or tokens failed", "model", name, "version", v, "err", err)
			}
			if err != nil || !ok {
				known = false
				continue
			}
			sum += hourly
			add(api.MetricCostPer1kPredictions, per1k(hourly, rates[v]), "model", name, "version", v)
		}
		if known {
			add(api.MetricCostHourly, sum, "model", name)
		}
	}
	sort.Slice(samples, func(i, j int) bool { return labels.Compare(samples[i].Labels, samples[j].Labels) < 0 })
	return series.AppendFinite(ctx, db, ts, "cost series", samples)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
