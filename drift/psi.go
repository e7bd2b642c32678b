package drift

import "math"

// PSIScratch computes the population stability index of two numerical
// samples with the binning of Compare (see the oracle README): more than 20
// distinct reference values → numpy's "sturges" edges over both samples
// together, proportions per bin (last bin closed); otherwise counts per
// distinct value of the union. Zero proportions are filled as Evidently
// does. It keeps its memory between calls; the zero value is ready. Not
// safe for concurrent use.
type PSIScratch struct{ sc scratch }

// PSI returns Σ (ref − cur)·ln(ref / cur) over the bins, NaN when either
// sample is empty. NaN values must be removed by the caller. ref and cur
// are not modified.
func (s *PSIScratch) PSI(ref, cur []float64) float64 {
	if len(ref) == 0 || len(cur) == 0 {
		return math.NaN()
	}
	sc := &s.sc
	rd, cd := &sc.refDist, &sc.curDist
	sc.build.build(rd, ref)
	sc.build.build(cd, cur)
	sc.r, sc.c = sc.r[:0], sc.c[:0]
	if len(rd.vals) <= 20 {
		lastA, lastB := 0, 0
		mergeDists(rd, cd, func(_ float64, ca, cb int) {
			sc.r = append(sc.r, float64(ca-lastA))
			sc.c = append(sc.c, float64(cb-lastB))
			lastA, lastB = ca, cb
		})
	} else {
		lo := math.Min(rd.vals[0], cd.vals[0])
		hi := math.Max(rd.vals[len(rd.vals)-1], cd.vals[len(cd.vals)-1])
		sc.edges = sturgesEdges(sc.edges, len(ref)+len(cur), lo, hi)
		nb := len(sc.edges) - 1
		sc.r, sc.c = grow(sc.r, nb), grow(sc.c, nb)
		histogramDist(sc.r, rd, sc.edges)
		histogramDist(sc.c, cd, sc.edges)
	}
	for i := range sc.r {
		sc.r[i] /= float64(len(ref))
		sc.c[i] /= float64(len(cur))
	}
	sc.fill = grow(sc.fill, 2*len(sc.r))
	return binnedStats(sc.r, sc.c, sc.fill).psi
}
