package drift

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strconv"
	"sync"
)

// Kind says how a column is compared.
type Kind uint8

const (
	Numerical Kind = iota
	Categorical
)

func (k Kind) String() string {
	if k == Categorical {
		return "categorical"
	}
	return "numerical"
}

// Method is the test that decides whether a column drifted.
type Method string

const (
	MethodKS                Method = "ks"
	MethodChi2              Method = "chi2"
	MethodZ                 Method = "z"
	MethodJensenShannon     Method = "jensen_shannon"
	MethodWassersteinNormed Method = "wasserstein_normed"
	MethodPSI               Method = "psi"
	MethodHellinger         Method = "hellinger"
)

// ParseMethod accepts "auto" (or "") and the method names; auto returns "".
func ParseMethod(s string) (Method, error) {
	switch m := Method(s); m {
	case "", "auto":
		return "", nil
	case MethodKS, MethodChi2, MethodZ, MethodJensenShannon, MethodWassersteinNormed, MethodPSI, MethodHellinger:
		return m, nil
	}
	return "", inputErrorf("unknown method %q (want auto, ks, chi2, z, jensen_shannon, wasserstein_normed, psi or hellinger)", s)
}

// Options select and type the compared columns.
type Options struct {
	// Columns to compare, in report order; empty means every reference column.
	Columns []string
	// Categorical names columns compared as categories even when numeric.
	Categorical []string
	// Method forces one drift test for every column; "" picks Evidently's
	// default per column.
	Method Method
	// Workers bounds the columns computed at once; <= 0 means GOMAXPROCS.
	Workers int
}

// Stat names a statistic in a ColumnReport, in report order.
type Stat uint8

const (
	StatPSI Stat = iota
	StatJensenShannon
	StatLInfinity
	StatHellinger
	StatKSStatistic
	StatKSPValue
	StatWasserstein
	StatWassersteinNormed
	StatChi2Statistic
	StatChi2PValue
	StatZPValue
	numStats
)

var statNames = [numStats]string{"psi", "jensen_shannon", "l_infinity", "hellinger", "ks_statistic",
	"ks_pvalue", "wasserstein", "wasserstein_normed", "chi2_statistic", "chi2_pvalue", "z_pvalue"}

func (s Stat) String() string { return statNames[s] }

// Stats holds the statistics computed for one column; which ones exist
// depends on the column (Has).
type Stats struct {
	values  [numStats]float64
	present uint16
}

// Get returns a statistic and whether it was computed.
func (s *Stats) Get(k Stat) (float64, bool) { return s.values[k], s.Has(k) }

// Has reports whether a statistic was computed.
func (s *Stats) Has(k Stat) bool { return s.present&(1<<k) != 0 }

func (s *Stats) set(k Stat, v float64) {
	s.values[k] = v
	s.present |= 1 << k
}

// ColumnReport is the verdict for one column.
type ColumnReport struct {
	Name      string
	Kind      Kind
	Stats     Stats
	Method    Method
	Score     float64
	Threshold float64
	Drifted   bool
}

// Report is the result of Compare.
type Report struct {
	ReferenceRows  int
	CurrentRows    int
	Columns        []ColumnReport
	DriftedColumns int
	ShareDrifted   float64
	DatasetDrift   bool
}

// InputError is bad input (a column missing, empty or of the wrong type);
// callers map it to a usage error.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErrorf(format string, a ...any) error { return &InputError{Msg: fmt.Sprintf(format, a...)} }

// sample is one side of one column, ready to compare.
type sample struct {
	values []float64 // numerical
	labels []string  // categorical: distinct labels
	counts []float64 // categorical: count per label
	n      int
}

type job struct {
	name string
	kind Kind
	ref  *Column
	cur  *Column
	// method forces the drift test; "" is automatic.
	method Method
}

// Compare compares every selected column of cur against ref. Columns are
// computed in parallel; ref and cur are only read.
func Compare(ctx context.Context, ref, cur *Frame, opts Options) (*Report, error) {
	names := opts.Columns
	if len(names) == 0 {
		names = make([]string, 0, len(ref.Columns))
		for _, c := range ref.Columns {
			names = append(names, c.Name)
		}
	}
	if len(names) == 0 {
		return nil, inputErrorf("no columns to compare")
	}
	forced := make(map[string]bool, len(opts.Categorical))
	for _, n := range opts.Categorical {
		forced[n] = true
	}
	jobs := make([]job, len(names))
	for i, name := range names {
		rc, cc := ref.Column(name), cur.Column(name)
		if rc == nil {
			return nil, inputErrorf("column %q is not in the reference data", name)
		}
		if cc == nil {
			return nil, inputErrorf("column %q is not in the current data", name)
		}
		if rc.Len() == 0 {
			return nil, inputErrorf("column %q has no values in the reference data", name)
		}
		if cc.Len() == 0 {
			return nil, inputErrorf("column %q has no values in the current data", name)
		}
		kind := Numerical
		if forced[name] || rc.DType == DTypeObject {
			kind = Categorical
		} else if cc.DType == DTypeObject {
			return nil, inputErrorf("column %q is numeric in the reference data but not in the current data (e.g. %q)", name, cc.Labels[0])
		}
		if kind == Numerical {
			for _, side := range []*Column{rc, cc} {
				for _, v := range side.Values {
					if math.IsInf(v, 0) {
						return nil, inputErrorf("column %q has an infinite value", name)
					}
				}
			}
		}
		if kind == Categorical && (opts.Method == MethodKS || opts.Method == MethodWassersteinNormed) {
			return nil, inputErrorf("method %s needs a numerical column; %q is categorical", opts.Method, name)
		}
		jobs[i] = job{name: name, kind: kind, ref: rc, cur: cc, method: opts.Method}
	}

	rep := &Report{ReferenceRows: ref.Rows, CurrentRows: cur.Rows, Columns: make([]ColumnReport, len(jobs))}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sc scratch
			for i := range next {
				rep.Columns[i] = compareColumn(jobs[i], &sc)
			}
		}()
	}
	var err error
feed:
	for i := range jobs {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("drift comparison interrupted: %w", err)
	}
	for _, c := range rep.Columns {
		if c.Drifted {
			rep.DriftedColumns++
		}
	}
	rep.ShareDrifted = float64(rep.DriftedColumns) / float64(len(rep.Columns))
	rep.DatasetDrift = rep.ShareDrifted >= 0.5
	return rep, nil
}

// scratch is one worker's reusable memory.
type scratch struct {
	build            distBuilder
	refDist, curDist dist
	edges            []float64
	r, c, fill       []float64
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func compareColumn(j job, sc *scratch) ColumnReport {
	out := ColumnReport{Name: j.name, Kind: j.kind}
	if j.kind == Categorical {
		ref := categorical(j.ref, sc)
		compareCategorical(&out, j.method, ref, categorical(j.cur, sc), sc)
	} else {
		compareNumerical(&out, j.method, j.ref.Values, j.cur.Values, sc)
	}
	return out
}

func compareNumerical(out *ColumnReport, forced Method, refIn, curIn []float64, sc *scratch) {
	n1, n2 := len(refIn), len(curIn)
	ref, cur := &sc.refDist, &sc.curDist
	sc.build.build(ref, refIn)
	sc.build.build(cur, curIn)

	refDistinct := len(ref.vals)
	// Union of distinct values with their counts on each side: needed for
	// n_values, and as the bins when the reference has <= 20 values.
	nValues := 0
	sc.r, sc.c = sc.r[:0], sc.c[:0]
	wantCounts := refDistinct <= 20
	lastA, lastB := 0, 0
	mergeDists(ref, cur, func(_ float64, ca, cb int) {
		nValues++
		if wantCounts {
			sc.r = append(sc.r, float64(ca-lastA))
			sc.c = append(sc.c, float64(cb-lastB))
		}
		lastA, lastB = ca, cb
	})
	if refDistinct > 20 {
		lo := math.Min(ref.vals[0], cur.vals[0])
		hi := math.Max(ref.vals[len(ref.vals)-1], cur.vals[len(cur.vals)-1])
		sc.edges = sturgesEdges(sc.edges, n1+n2, lo, hi)
		nb := len(sc.edges) - 1
		sc.r, sc.c = grow(sc.r, nb), grow(sc.c, nb)
		histogramDist(sc.r, ref, sc.edges)
		histogramDist(sc.c, cur, sc.edges)
	}
	r, c := sc.r, sc.c
	countsR := append([]float64(nil), r...)
	countsC := append([]float64(nil), c...)
	for i := range r {
		r[i] /= float64(n1)
		c[i] /= float64(n2)
	}
	sc.fill = grow(sc.fill, 2*len(r))
	bs := binnedStats(r, c, sc.fill)
	st := &out.Stats
	st.set(StatPSI, bs.psi)
	st.set(StatJensenShannon, bs.js)
	st.set(StatLInfinity, bs.linf)
	st.set(StatHellinger, bs.hellinger)

	d, p := ksPValue(ksStatistic(ref, cur), n1, n2)
	st.set(StatKSStatistic, d)
	st.set(StatKSPValue, p)
	w := wasserstein1(ref, cur)
	st.set(StatWasserstein, w)
	st.set(StatWassersteinNormed, w/math.Max(stdDev(refIn), 0.001))

	if nValues <= 5 || forced == MethodChi2 {
		// counts are in numeric order; the chi-square statistic and the
		// z-test do not depend on the order of the categories.
		chi2(st, countsR, countsC, n1, n2)
	}
	decide(out, forced, n1, nValues, false, countsR, countsC, n2)
}

func chi2(st *Stats, countsR, countsC []float64, n1, n2 int) {
	if len(countsR) <= 1 {
		return
	}
	k := float64(n2) / float64(n1)
	exp := make([]float64, len(countsR))
	for i, x := range countsR {
		if x == 0 {
			// a category absent from the reference: infinite statistic.
			st.set(StatChi2PValue, 0)
			return
		}
		exp[i] = x * k
	}
	s, p := chiSquare(countsC, exp)
	st.set(StatChi2Statistic, s)
	st.set(StatChi2PValue, p)
}

// decide applies Evidently's default method choice and threshold.
// countsR/countsC are per-value counts, needed only for the z-test (which
// happens only with at most 2 values, where they are always available).
func decide(out *ColumnReport, forced Method, n1, nValues int, categorical bool, countsR, countsC []float64, n2 int) {
	st := &out.Stats
	m := forced
	switch {
	case m != "":
	case n1 <= 1000:
		switch {
		case !categorical && nValues > 5:
			m = MethodKS
		case nValues > 2:
			m = MethodChi2
		default:
			m = MethodZ
		}
	case categorical || nValues <= 5:
		m = MethodJensenShannon
	default:
		m = MethodWassersteinNormed
	}
	if m == MethodZ && len(countsR) <= 2 {
		// counts of the first category: symmetric in the choice when there
		// are at most two categories.
		st.set(StatZPValue, zTestPValue(countsR[0], float64(n1), countsC[0], float64(n2)))
	}
	out.Method = m
	score, ok := st.Get(methodStat(m))
	if !ok {
		// A test forced onto a column where it is undefined (chi2 with one
		// category, z with more than two): no evidence of drift.
		score = 1
	}
	out.Score = score
	switch m {
	case MethodKS:
		out.Threshold = 0.05
		out.Drifted = out.Score <= 0.05
	case MethodChi2, MethodZ:
		out.Threshold = 0.05
		out.Drifted = out.Score < 0.05
	default:
		out.Threshold = 0.1
		out.Drifted = out.Score >= 0.1
	}
}

// methodStat is the statistic a method scores with.
func methodStat(m Method) Stat {
	switch m {
	case MethodKS:
		return StatKSPValue
	case MethodChi2:
		return StatChi2PValue
	case MethodZ:
		return StatZPValue
	case MethodWassersteinNormed:
		return StatWassersteinNormed
	case MethodPSI:
		return StatPSI
	case MethodHellinger:
		return StatHellinger
	default:
		return StatJensenShannon
	}
}

// categorical turns a column into label counts, spelling numbers the way
// pandas' astype(str) does for the column's dtype. Numbers are counted on a
// sorted copy (run lengths), not through a map.
func categorical(c *Column, sc *scratch) sample {
	if c.DType == DTypeObject {
		counts := make([]float64, len(c.Labels))
		for _, code := range c.Codes {
			counts[code]++
		}
		return sample{labels: c.Labels, counts: counts, n: len(c.Codes)}
	}
	d := &sc.refDist
	sc.build.build(d, c.Values)
	var s sample
	prev := 0
	for i, v := range d.vals {
		s.labels = append(s.labels, labelOf(v, c.DType))
		s.counts = append(s.counts, float64(d.cum[i]-prev))
		prev = d.cum[i]
	}
	s.n = len(c.Values)
	return s
}

func labelOf(v float64, t DType) string {
	switch t {
	case DTypeInt:
		return strconv.FormatInt(int64(v), 10)
	case DTypeBool:
		if v != 0 {
			return "True"
		}
		return "False"
	default:
		return pyFloatRepr(v)
	}
}

// pyFloatRepr is Python's repr of a float: shortest round-trip digits,
// positional for 1e-4 <= |v| < 1e16 (with ".0" when integral), else
// scientific with a two-digit exponent.
func pyFloatRepr(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	if v == 0 {
		if math.Signbit(v) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(v, 'e', -1, 64)
	// decimal exponent of the shortest representation
	k := len(e) - 1
	for e[k] != 'e' {
		k--
	}
	exp, _ := strconv.Atoi(e[k+1:])
	if exp < -4 || exp >= 16 {
		mant := e[:k]
		sign := e[k+1]
		digits := e[k+2:]
		if len(digits) < 2 {
			digits = "0" + digits
		}
		return mant + "e" + string(sign) + digits
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s
		}
	}
	return s + ".0"
}

func compareCategorical(out *ColumnReport, forced Method, ref, cur sample, sc *scratch) {
	// Union of labels in Python's sorted(key=str) order (code points).
	pos := make(map[string]int, len(ref.labels)+len(cur.labels))
	var keys []string
	for _, l := range ref.labels {
		if _, ok := pos[l]; !ok {
			pos[l] = 0
			keys = append(keys, l)
		}
	}
	for _, l := range cur.labels {
		if _, ok := pos[l]; !ok {
			pos[l] = 0
			keys = append(keys, l)
		}
	}
	sort.Strings(keys)
	for i, k := range keys {
		pos[k] = i
	}
	countsR := make([]float64, len(keys))
	countsC := make([]float64, len(keys))
	for i, l := range ref.labels {
		countsR[pos[l]] += ref.counts[i]
	}
	for i, l := range cur.labels {
		countsC[pos[l]] += cur.counts[i]
	}
	r := make([]float64, len(keys))
	c := make([]float64, len(keys))
	for i := range keys {
		r[i] = countsR[i] / float64(ref.n)
		c[i] = countsC[i] / float64(cur.n)
	}
	sc.fill = grow(sc.fill, 2*len(r))
	bs := binnedStats(r, c, sc.fill)
	st := &out.Stats
	st.set(StatPSI, bs.psi)
	st.set(StatJensenShannon, bs.js)
	st.set(StatLInfinity, bs.linf)
	st.set(StatHellinger, bs.hellinger)
	chi2(st, countsR, countsC, ref.n, cur.n)
	decide(out, forced, ref.n, len(keys), true, countsR, countsC, cur.n)
}
