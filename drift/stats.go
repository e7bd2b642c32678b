package drift

import "math"

// sturgesEdges is numpy.histogram_bin_edges(data, bins="sturges") for data
// with the given size, minimum and maximum, reproducing numpy's float
// arithmetic: width = ptp/(log2(n)+1), bins = ceil(ptp/width), edges by
// linspace (i*step + first, last edge exactly max).
func sturgesEdges(dst []float64, size int, lo, hi float64) []float64 {
	first, last := lo, hi
	if first == last {
		first -= 0.5
		last += 0.5
	}
	nbins := 1
	if size > 0 {
		width := (hi - lo) / (math.Log2(float64(size)) + 1.0)
		if width != 0 {
			nbins = int(math.Ceil((last - first) / width))
		}
	}
	num := nbins + 1
	dst = dst[:0]
	delta := last - first
	step := delta / float64(nbins)
	for i := 0; i < num; i++ {
		var y float64
		if step == 0 {
			y = float64(i) / float64(nbins) * delta
		} else {
			y = float64(i) * step
		}
		dst = append(dst, y+first)
	}
	dst[num-1] = last
	return dst
}

// histogramDist counts values into bins [e_i, e_i+1), the last bin closed,
// as numpy.histogram does with explicit edges; counts has len(edges)-1
// entries.
func histogramDist(counts []float64, d *dist, edges []float64) {
	prev := d.below(edges[0])
	for i := 1; i < len(edges); i++ {
		var cur int
		if i == len(edges)-1 {
			cur = d.atMost(edges[i])
		} else {
			cur = d.below(edges[i])
		}
		counts[i-1] = float64(cur - prev)
		prev = cur
	}
}

// zeroFill replaces zero proportions the way Evidently's PSI does:
// min(nonzero)/1e6 when that minimum is <= 1e-4, else 1e-4.
func zeroFill(p []float64) {
	minNZ := math.Inf(1)
	for _, x := range p {
		if x > 0 && x < minNZ {
			minNZ = x
		}
	}
	fill := 0.0001
	if !math.IsInf(minNZ, 1) && minNZ <= 0.0001 {
		fill = minNZ / 1e6
	}
	for i, x := range p {
		if x == 0 {
			p[i] = fill
		}
	}
}

// binStats are the statistics computed on binned proportions.
type binStats struct {
	psi, js, linf, hellinger float64
}

// binnedStats computes PSI (on zero-filled copies), Jensen-Shannon (scipy's
// jensenshannon, natural log), L-infinity and Hellinger from proportions.
// r and c are not modified; scratch needs 2*len(r).
func binnedStats(r, c, scratch []float64) binStats {
	var s binStats
	rf := append(scratch[:0], r...)
	cf := append(scratch[len(r):len(r)], c...)
	zeroFill(rf)
	zeroFill(cf)
	for i := range rf {
		s.psi += (rf[i] - cf[i]) * math.Log(rf[i]/cf[i])
	}
	var sr, sc float64
	for i := range r {
		sr += r[i]
		sc += c[i]
	}
	var left, right, hell float64
	for i := range r {
		p, q := r[i]/sr, c[i]/sc
		m := (p + q) / 2.0
		left += relEntr(p, m)
		right += relEntr(q, m)
		if d := math.Abs(r[i] - c[i]); d > s.linf {
			s.linf = d
		}
		dh := math.Sqrt(r[i]) - math.Sqrt(c[i])
		hell += dh * dh
	}
	s.js = math.Sqrt((left + right) / 2.0)
	s.hellinger = math.Sqrt(hell) / math.Sqrt2
	return s
}

// relEntr is scipy.special.rel_entr.
func relEntr(x, y float64) float64 {
	switch {
	case math.IsNaN(x) || math.IsNaN(y):
		return math.NaN()
	case x > 0 && y > 0:
		return x * math.Log(x/y)
	case x == 0 && y >= 0:
		return 0
	default:
		return math.Inf(1)
	}
}

// chiSquare is scipy.stats.chisquare(obs, exp) with df = len-1.
func chiSquare(obs, exp []float64) (stat, p float64) {
	for i := range obs {
		d := obs[i] - exp[i]
		stat += d * d / exp[i]
	}
	return stat, chi2SF(stat, len(obs)-1)
}

// zTestPValue is the pooled two-proportion z-test p-value,
// 2*(1-Phi(|z|)) exactly as Evidently computes it.
func zTestPValue(x1, n1, x2, n2 float64) float64 {
	p := (x1 + x2) / (n1 + n2)
	se := math.Sqrt(p * (1 - p) * (1/n1 + 1/n2))
	z := 0.0
	if se != 0 {
		z = (x1/n1 - x2/n2) / se
	}
	return 2 * (1 - normalCDF(math.Abs(z)))
}

// ksStatistic is scipy's two-sided D: the ECDF differences are evaluated at
// every observed value with the same float operations (count/n, then
// subtraction).
func ksStatistic(a, b *dist) float64 {
	n1, n2 := float64(a.n()), float64(b.n())
	maxS, minS := math.Inf(-1), math.Inf(-1) // max(cdf1-cdf2), max(cdf2-cdf1)
	mergeDists(a, b, func(_ float64, i, j int) {
		diff := float64(i)/n1 - float64(j)/n2
		if diff > maxS {
			maxS = diff
		}
		if -diff > minS {
			minS = -diff
		}
	})
	minS = math.Max(0, math.Min(minS, 1))
	if minS > maxS {
		return minS
	}
	return maxS
}

// wasserstein1 is scipy.stats.wasserstein_distance: the integral of
// |F_a - F_b| between consecutive distinct values.
func wasserstein1(a, b *dist) float64 {
	n1, n2 := float64(a.n()), float64(b.n())
	var sum, comp float64
	first := true
	var prev, prevDiff float64
	mergeDists(a, b, func(v float64, i, j int) {
		if !first {
			// Neumaier summation keeps the sum within an ulp or so of the
			// exact value, as numpy's pairwise sum nearly does.
			t := prevDiff * (v - prev)
			s := sum + t
			if math.Abs(sum) >= math.Abs(t) {
				comp += (sum - s) + t
			} else {
				comp += (t - s) + sum
			}
			sum = s
		}
		first = false
		prev = v
		prevDiff = math.Abs(float64(i)/n1 - float64(j)/n2)
	})
	return sum + comp
}

// stdDev is numpy.std (population).
func stdDev(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	var sum, comp float64
	for _, v := range x {
		t := sum + v
		if math.Abs(sum) >= math.Abs(v) {
			comp += (sum - t) + v
		} else {
			comp += (v - t) + sum
		}
		sum = t
	}
	mean := (sum + comp) / float64(len(x))
	var ss float64
	for _, v := range x {
		d := v - mean
		ss += d * d
	}
	return math.Sqrt(ss / float64(len(x)))
}
