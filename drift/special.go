package drift

import "math"

// Special functions with the accuracy scipy gets from cephes; all work in
// float64 and are written from the published algorithms.

// normalCDF is scipy.special.ndtr.
func normalCDF(x float64) float64 {
	return 0.5 * math.Erfc(-x/math.Sqrt2)
}

// chi2SF is scipy.stats.chi2.sf(x, df): the regularized upper incomplete
// gamma function Q(df/2, x/2).
func chi2SF(x float64, df int) float64 {
	if x <= 0 {
		return 1
	}
	if math.IsInf(x, 1) {
		return 0
	}
	return gammaQ(float64(df)/2, x/2)
}

// gammaQ is the regularized upper incomplete gamma function Q(a, x): the
// power series of P for x < a+1, Lentz's continued fraction for Q above.
func gammaQ(a, x float64) float64 {
	if x <= 0 {
		return 1
	}
	lg, _ := math.Lgamma(a)
	logPre := a*math.Log(x) - x - lg
	if x < a+1 {
		// P(a,x) = x^a e^-x / Gamma(a+1) * sum x^n / ((a+1)...(a+n))
		sum, term := 1/a, 1/a
		for n := 1; n < 100000; n++ {
			term *= x / (a + float64(n))
			sum += term
			if math.Abs(term) < math.Abs(sum)*1e-17 {
				break
			}
		}
		return 1 - math.Exp(logPre)*sum
	}
	const tiny = 1e-300
	b := x + 1 - a
	c := 1 / tiny
	d := 1 / b
	h := d
	for i := 1; i < 100000; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-16 {
			break
		}
	}
	return math.Exp(logPre) * h
}
