package drift

import "math"

// Two-sample Kolmogorov-Smirnov p-values as scipy.stats.ks_2samp with
// method="auto" (scipy 1.10): the exact distribution of the statistic when
// max(n1, n2) <= maxExactKS, otherwise the one-sample two-sided
// Kolmogorov distribution of size round(n1*n2/(n1+n2)) (scipy's kstwo.sf),
// which itself switches between exact and asymptotic algorithms following
// Simard and L'Ecuyer (2011).

const maxExactKS = 10000

// ksPValue returns the statistic as scipy reports it (the exact path snaps
// it to a multiple of 1/lcm(n1, n2)) and its two-sided p-value.
func ksPValue(d float64, n1, n2 int) (stat, p float64) {
	if max(n1, n2) <= maxExactKS {
		if s, prob, ok := ksExact(d, n1, n2); ok {
			return s, clip01(prob)
		}
	}
	m, n := float64(max(n1, n2)), float64(min(n1, n2))
	en := m * n / (m + n)
	return d, clip01(kolmogorovSF(int(math.RoundToEven(en)), d))
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func clip01(p float64) float64 {
	if p < 0 {
		return 0
	}
	if p > 1 {
		return 1
	}
	return p
}

// ksExact is the probability that the two-sample statistic is >= d under
// the null hypothesis, counting lattice paths. ok is false when the
// computation left [0, 1] (scipy then falls back to the asymptotic form).
func ksExact(d float64, n1, n2 int) (stat, p float64, ok bool) {
	g := gcd(n1, n2)
	lcm := (n1 / g) * n2
	h := int(math.RoundToEven(d * float64(lcm)))
	stat = float64(h) / float64(lcm)
	if h == 0 {
		return stat, 1, true
	}
	if n1 == n2 {
		p = probOutsideSquare(n1, h)
	} else {
		p = probOutsideLines(n1, n2, g, h)
	}
	if !(p >= 0 && p <= 1) {
		return stat, p, false
	}
	return stat, p, true
}

// probOutsideSquare is P(D_{n,n} >= h/n) from the alternating sum of
// binomial ratios, evaluated Horner-style to avoid cancellation:
// P = 2*A0*(1 - A1*(1 - A2*(...))), Ak = binom(2n, n-kh)/binom(2n, n) ratios.
func probOutsideSquare(n, h int) float64 {
	p := 0.0
	for k := n / h; k >= 0; k-- {
		a := 1.0
		for j := 0; j < h; j++ {
			a = float64(n-k*h-j) * a / float64(n+k*h+j+1)
		}
		p = a * (1 - p)
	}
	return 2 * p
}

// probOutsideLines is the proportion of monotone lattice paths from (0,0) to
// (m,n) that touch or cross the lines |x/m - y/n| = h/lcm(m,n). It runs the
// "inside" recursion of Hodges over one sliding column window, but on 1-A
// normalised by the binomial coefficient (Viehmann 2021), so every value
// stays in [0, 1] and no rescaling is needed.
func probOutsideLines(m, n, g, h int) float64 {
	if m < n {
		m, n = n, m
	}
	mg, ng := m/g, n/g
	ceilDiv := func(a, b int) int { // ceil(a/b) for b > 0
		q := a / b
		if a%b != 0 && (a > 0) == (b > 0) {
			q++
		}
		return q
	}
	floorDiv := func(a, b int) int {
		q := a / b
		if a%b != 0 && (a < 0) != (b < 0) {
			q--
		}
		return q
	}
	minj, maxj := 0, min(ceilDiv(h, mg), n+1)
	curlen := maxj - minj
	lenA := min(2*maxj+2, n+1)
	a := make([]float64, lenA)
	for i := range a {
		a[i] = 1
	}
	for i := minj; i < maxj; i++ {
		a[i] = 0
	}
	// recip[k] = 1/k turns the divisions of the recursion into products, and
	// splitting each column into an independent pass (coefficients) and a
	// dependent one (one fused multiply-add per cell) keeps the CPU busy.
	recip := make([]float64, m+n+1)
	for k := 1; k < len(recip); k++ {
		recip[k] = 1 / float64(k)
	}
	var coefA, coefB []float64
	for i := 1; i <= m; i++ {
		lastminj, lastlen := minj, curlen
		minj = max(floorDiv(ng*i-h, mg)+1, 0)
		minj = min(minj, n)
		maxj = min(ceilDiv(ng*i+h, mg), n+1)
		if maxj <= minj {
			return 1
		}
		width := maxj - minj
		if need := width + max(lastlen-width, 0); need > len(a) {
			a = append(a, make([]float64, need-len(a))...)
		}
		coefA, coefB = grow(coefA, width), grow(coefB, width)
		fi := float64(i)
		src := a[minj-lastminj:]
		for jj := 0; jj < width; jj++ {
			j := jj + minj
			r := recip[i+j]
			coefA[jj] = src[jj] * fi * r
			coefB[jj] = float64(j) * r
		}
		val := 1.0
		if minj == 0 {
			val = 0
		}
		for jj := 0; jj < width; jj++ {
			val = coefA[jj] + coefB[jj]*val
			a[jj] = val
		}
		curlen = width
		if lastlen > curlen {
			for k := width; k < width+(lastlen-curlen) && k < len(a); k++ {
				a[k] = 1
			}
		}
	}
	return a[maxj-minj-1]
}

// kolmogorovSF is scipy.stats.kstwo.sf(x, n): P(D_n >= x) for the two-sided
// one-sample statistic.
func kolmogorovSF(n int, x float64) float64 {
	if n <= 0 || math.IsNaN(x) {
		return math.NaN()
	}
	if x >= 1 {
		return 0
	}
	if x <= 0 {
		return 1
	}
	fn := float64(n)
	t := fn * x
	if t <= 1 { // Ruben-Gambino: 1/2n <= x <= 1/n
		if t <= 0.5 {
			return 1
		}
		var cdf float64
		if n <= 140 {
			cdf = 1
			for i := 1; i <= n; i++ {
				cdf *= float64(i) * (1 / fn) * (2*t - 1)
			}
		} else {
			cdf = math.Exp(logFactorialOverPower(fn) + fn*math.Log(2*t-1))
		}
		return clip01(1 - cdf)
	}
	if t >= fn-1 {
		return clip01(2 * math.Pow(1-x, fn))
	}
	if x >= 0.5 {
		return clip01(2 * smirnovSF(n, x))
	}
	nxx := t * x
	if n <= 140 {
		if nxx <= 4 {
			// scipy uses Durbin below 0.754693 and Pomeranz's recursion up
			// to 4; both are exact, Durbin's matrix stays small (k <= 24).
			return clip01(1 - durbinCDF(n, x))
		}
		return clip01(2 * smirnovSF(n, x))
	}
	if nxx >= 370 {
		return 0
	}
	if nxx >= 2.2 {
		return clip01(2 * smirnovSF(n, x))
	}
	var cdf float64
	if n <= 100000 && fn*math.Pow(x, 1.5) <= 1.4 {
		cdf = durbinCDF(n, x)
	} else {
		cdf = pelzGoodCDF(n, x)
	}
	return clip01(1 - cdf)
}

// logFactorialOverPower is log(n!/n^n) by Stirling's series.
func logFactorialOverPower(n float64) float64 {
	coeffs := [...]float64{-2.955065359477124183e-2, 6.4102564102564102564e-3,
		-1.9175269175269175269e-3, 8.4175084175084175084e-4,
		-5.952380952380952381e-4, 7.9365079365079365079e-4,
		-2.7777777777777777778e-3, 8.3333333333333333333e-2}
	rn := 1 / n
	x := rn / n
	poly := 0.0
	for _, c := range coeffs {
		poly = poly*x + c
	}
	return math.Log(n)/2 - n + math.Log(2*math.Pi)/2 + rn*poly
}

// durbinCDF is P(D_n < d) by Durbin's matrix method as organised by
// Marsaglia, Tsang and Wang (2003): the (k,k) entry of H^n scaled by n!/n^n,
// with d = (k-h)/n.
func durbinCDF(n int, d float64) float64 {
	if d >= 1 {
		return 1
	}
	fn := float64(n)
	nd := fn * d
	if nd <= 0.5 {
		return 0
	}
	k := int(math.Ceil(nd))
	h := float64(k) - nd
	m := 2*k - 1
	v := make([]float64, m)
	w := make([]float64, m)
	fac := 1.0
	for j := 1; j <= m; j++ {
		w[j-1] = fac
		fac /= float64(j)
		v[j-1] = (1 - math.Pow(h, float64(j))) * fac
	}
	tt := math.Pow(math.Max(2*h-1, 0), float64(m)) - 2*math.Pow(h, float64(m))
	v[m-1] = (1 + tt) * fac

	H := make([]float64, m*m)
	for i := 1; i < m; i++ {
		for r := i - 1; r < m; r++ {
			H[r*m+i] = w[r-i+1]
		}
	}
	for r := 0; r < m; r++ {
		H[r*m] = v[r]
	}
	for c := 0; c < m; c++ {
		H[(m-1)*m+c] = v[m-1-c]
	}
	P := make([]float64, m*m)
	for i := 0; i < m; i++ {
		P[i*m+i] = 1
	}
	tmp := make([]float64, m*m)
	const e128 = 128
	ep128 := math.Ldexp(1, e128)
	expnt, hexpnt := 0, 0
	for nn := n; nn > 0; nn /= 2 {
		if nn%2 == 1 {
			matMul(tmp, P, H, m)
			P, tmp = tmp, P
			expnt += hexpnt
		}
		matMul(tmp, H, H, m)
		H, tmp = tmp, H
		hexpnt *= 2
		if math.Abs(H[(k-1)*m+k-1]) > ep128 {
			for i := range H {
				H[i] /= ep128
			}
			hexpnt += e128
		}
	}
	p := P[(k-1)*m+k-1]
	em128 := math.Ldexp(1, -e128)
	for i := 1; i <= n; i++ {
		p = float64(i) * p / fn
		if math.Abs(p) < em128 {
			p *= ep128
			expnt -= e128
		}
	}
	if expnt != 0 {
		p = math.Ldexp(p, expnt)
	}
	return clip01(p)
}

// matMul sets dst = a*b for m×m row-major matrices.
func matMul(dst, a, b []float64, m int) {
	clear(dst)
	for i := 0; i < m; i++ {
		row := dst[i*m : i*m+m]
		for l := 0; l < m; l++ {
			x := a[i*m+l]
			if x == 0 {
				continue
			}
			bl := b[l*m : l*m+m]
			for j := range row {
				row[j] += x * bl[j]
			}
		}
	}
}

// pelzGoodCDF is the Pelz-Good (1976) approximation of P(D_n <= x): the
// Li-Chien/Korolyuk expansion K0 + K1/sqrt(n) + K2/n + K3/n^1.5 rewritten
// with Jacobi theta identities for small z = x*sqrt(n).
func pelzGoodCDF(n int, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	fn := float64(n)
	z := math.Sqrt(fn) * x
	z2, z3, z4, z6 := z*z, z*z*z, z*z*z*z, math.Pow(z, 6)
	pi2 := math.Pi * math.Pi
	pi4 := pi2 * pi2
	pi6 := pi4 * pi2
	qlog := -pi2 / 8 / z2
	if qlog < -708 {
		return 0
	}
	q := math.Exp(qlog)
	k1a := -z2
	k1b := pi2 / 4
	k2a := 6*z6 + 2*z4
	k2b := (2*z4 - 5*z2) * pi2 / 4
	k2c := pi4 * (1 - 2*z2) / 16
	k3d := pi6 * (5 - 30*z2) / 64
	k3c := pi4 * (-60*z2 + 212*z4) / 16
	k3b := pi2 * (135*z4 - 96*z6) / 4
	k3a := -30*z6 - 90*math.Pow(z, 8)
	var K [4]float64
	maxk := int(math.Ceil(16 * z / math.Pi))
	for k := maxk; k > 0; k-- {
		m := float64(2*k - 1)
		m2 := m * m
		m4 := m2 * m2
		m6 := m4 * m2
		qp := math.Pow(q, float64(8*k))
		c := [4]float64{1, k1a + k1b*m2, k2a + k2b*m2 + k2c*m4, k3a + k3b*m2 + k3c*m4 + k3d*m6}
		for i := range K {
			K[i] = K[i]*qp + c[i]
		}
	}
	sqrt2pi := math.Sqrt(2 * math.Pi)
	div := [4]float64{z, 6 * z4, 72 * math.Pow(z, 7), 6480 * math.Pow(z, 10)}
	for i := range K {
		K[i] = K[i] * q * sqrt2pi / div[i]
	}
	q = math.Exp(-pi2 / 2 / z2)
	sqrt3z := math.Sqrt(3) * z
	var k2extra, k3extra float64
	for k := maxk; k > 0; k-- {
		fk := float64(k)
		ks2 := fk * fk
		qp := math.Pow(q, ks2)
		kpi := math.Pi * fk
		k2extra += ks2 * qp
		k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * ks2 * qp
	}
	K[2] += k2extra * pi2 * sqrt2pi / (-36 * z3)
	K[3] += k3extra * pi2 * sqrt2pi / (216 * z6)
	sum := 0.0
	for i := range K {
		sum += K[i] / math.Pow(fn, float64(i)/2)
	}
	return sum
}

// smirnovSF is scipy.special.smirnov(n, x): P(D_n^+ >= x) for the one-sided
// one-sample statistic, by the Birnbaum-Tingey sum
// x * sum_{j=0}^{floor(n(1-x))} C(n,j) (x+j/n)^(j-1) (1-x-j/n)^(n-j).
// All terms are positive; they are summed in log space from the largest
// term outwards until the rest cannot matter.
func smirnovSF(n int, x float64) float64 {
	if !(n > 0 && x >= 0 && x <= 1) {
		return math.NaN()
	}
	if n == 1 {
		return 1 - x
	}
	if x == 0 {
		return 1
	}
	if x == 1 {
		return 0
	}
	fn := float64(n)
	nx := fn * x
	nxfl := math.Floor(nx)
	alpha := nx - nxfl + math.FMA(fn, x, -nx) // exact remainder of n*x
	if alpha < 0 {
		nxfl--
		alpha++
	} else if alpha >= 1 {
		nxfl++
		alpha--
	}
	fl := int(nxfl)
	if fl == 0 || (fl == 1 && alpha == 0) {
		return clip01(1 - x*math.Pow(1+x, fn-1))
	}
	const minLog = -708.3964185322641
	if -2*fn*x*x < minLog {
		return 0
	}
	if fl >= n-1 {
		return math.Pow(1-x, fn)
	}
	if n > 1000000 {
		logp := -math.Pow(6*fn*x+1, 2) / 18 / fn
		if logp < -math.Ln2 {
			return math.Exp(logp)
		}
		return 1 + math.Expm1(logp)
	}
	last := n - fl - 1 // highest j with x + j/n < 1
	lgn1, _ := math.Lgamma(fn + 1)
	logTerm := func(j int) float64 {
		fj := float64(j)
		lj, _ := math.Lgamma(fj + 1)
		lnj, _ := math.Lgamma(fn - fj + 1)
		return lgn1 - lj - lnj + (fj-1)*math.Log(x+fj/fn) + (fn-fj)*math.Log(float64(n-j)/fn-x)
	}
	// Terms behave like binomial probabilities peaking where x + j/n = 1/2.
	peak := int(math.Round(fn * (0.5 - x)))
	peak = max(0, min(peak, last))
	// Walk uphill in case the peak estimate is off.
	lp := logTerm(peak)
	for peak < last {
		if l := logTerm(peak + 1); l > lp {
			peak, lp = peak+1, l
			continue
		}
		break
	}
	for peak > 0 {
		if l := logTerm(peak - 1); l > lp {
			peak, lp = peak-1, l
			continue
		}
		break
	}
	sum := 1.0
	for j := peak + 1; j <= last; j++ {
		t := math.Exp(logTerm(j) - lp)
		sum += t
		if t < 1e-17*sum {
			break
		}
	}
	for j := peak - 1; j >= 0; j-- {
		t := math.Exp(logTerm(j) - lp)
		sum += t
		if t < 1e-17*sum {
			break
		}
	}
	return clip01(math.Exp(math.Log(x) + lp + math.Log(sum)))
}
