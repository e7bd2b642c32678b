package client

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// ValueType names the kind of a query result, as the Prometheus API spells it.
type ValueType string

// The result types the query API returns.
const (
	ValueVector ValueType = "vector"
	ValueMatrix ValueType = "matrix"
	ValueScalar ValueType = "scalar"
	ValueString ValueType = "string"
)

// Value is one decoded query result: Vector, Matrix, Scalar or String.
type Value interface {
	Type() ValueType
}

// Metric is a series' label set.
type Metric map[string]string

// String renders the metric the way PromQL writes a selector:
// name{a="1", b="2"} with labels sorted by name.
func (m Metric) String() string {
	names := make([]string, 0, len(m))
	for k := range m {
		if k != "__name__" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(m["__name__"])
	if len(names) == 0 && b.Len() > 0 {
		return b.String()
	}
	b.WriteByte('{')
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", k, m[k])
	}
	b.WriteByte('}')
	return b.String()
}

// Point is one sample value at one time.
type Point struct {
	T time.Time
	V float64
}

// Sample is one element of an instant vector.
type Sample struct {
	Metric Metric
	Point
}

// Series is one element of a range matrix.
type Series struct {
	Metric Metric
	Points []Point
}

// Vector is an instant vector result.
type Vector []Sample

// Matrix is a range vector result.
type Matrix []Series

// Scalar is a scalar result.
type Scalar Point

// String is a string result.
type String struct {
	T time.Time
	S string
}

// Type implements Value.
func (Vector) Type() ValueType { return ValueVector }

// Type implements Value.
func (Matrix) Type() ValueType { return ValueMatrix }

// Type implements Value.
func (Scalar) Type() ValueType { return ValueScalar }

// Type implements Value.
func (String) Type() ValueType { return ValueString }

// Result is a decoded query answer with the warnings and infos the
// collector attached to it.
type Result struct {
	Value    Value
	Warnings []string
	Infos    []string
}

// ByLabel indexes a vector by the value of one label; samples missing the
// label are keyed by "". With duplicate keys the last sample wins, which is
// what "sum by (label)" results never produce.
func (v Vector) ByLabel(name string) map[string]float64 {
	out := make(map[string]float64, len(v))
	for _, s := range v {
		out[s.Metric[name]] = s.V
	}
	return out
}

// Bounds returns the smallest and largest finite value and the time span
// of a matrix; ok is false when the matrix holds no finite point.
func (m Matrix) Bounds() (minV, maxV float64, from, to time.Time, ok bool) {
	minV, maxV = math.Inf(1), math.Inf(-1)
	for _, s := range m {
		for _, p := range s.Points {
			if from.IsZero() || p.T.Before(from) {
				from = p.T
			}
			if p.T.After(to) {
				to = p.T
			}
			if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
				continue
			}
			ok = true
			minV = math.Min(minV, p.V)
			maxV = math.Max(maxV, p.V)
		}
	}
	return minV, maxV, from, to, ok
}
