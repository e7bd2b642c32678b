package baseline

import (
	"math"
	"math/big"
)

// exactSum adds float64 values without rounding: every finite value is
// placed into a fixed-point accumulator wide enough for any float64 (a
// "superaccumulator"), and the total is rounded once, to nearest even,
// when read. The result therefore does not depend on the order the values
// come in, which is what lets a Parquet file read column chunk by column
// chunk and a CSV file read row by row give the same mean to the last bit
// without either path sorting or keeping its values.
//
// Limbs hold 32-bit digits in int64s: a value touches at most three limbs
// and adds less than 2^32 to each, so 2^30 additions fit before the carries
// must be propagated.
type exactSum struct {
	limb   [exactSumLimbs]int64
	adds   int
	posInf bool
	negInf bool
	nan    bool
}

const (
	// A float64 is mant·2^(exp−1075) with a 53-bit mant and exp in
	// [1, 2046] (subnormals: exp 1, no hidden bit); the digit position of
	// its lowest bit is exp−1 ∈ [0, 2045], its highest bit at most 2045+84
	// once shifted to a limb boundary, and a sum of up to 2^63 values adds
	// 63 bits of carry: 2045+84+63 < 72·32.
	exactSumLimbs   = 72
	exactSumRenormE = 1 << 30
)

func (s *exactSum) add(v float64) {
	b := math.Float64bits(v)
	exp := int(b>>52) & 0x7ff
	mant := b & (1<<52 - 1)
	neg := b>>63 != 0
	if exp == 0x7ff {
		switch {
		case mant != 0:
			s.nan = true
		case neg:
			s.negInf = true
		default:
			s.posInf = true
		}
		return
	}
	if exp == 0 {
		exp = 1
	} else {
		mant |= 1 << 52
	}
	pos := exp - 1
	i, off := pos/32, uint(pos%32)
	lo := mant << off
	hi := mant >> (64 - off) // 0 when off is 0: Go shifts by 64 to zero
	d0, d1, d2 := int64(lo&0xffffffff), int64(lo>>32), int64(hi)
	if neg {
		s.limb[i] -= d0
		s.limb[i+1] -= d1
		s.limb[i+2] -= d2
	} else {
		s.limb[i] += d0
		s.limb[i+1] += d1
		s.limb[i+2] += d2
	}
	if s.adds++; s.adds == exactSumRenormE {
		s.limb = carry(s.limb)
		s.adds = 0
	}
}

// merge adds o's values to s.
func (s *exactSum) merge(o *exactSum) {
	a, b := carry(s.limb), carry(o.limb)
	for i := range a {
		a[i] += b[i]
	}
	s.limb, s.adds = carry(a), 0
	s.posInf, s.negInf, s.nan = s.posInf || o.posInf, s.negInf || o.negInf, s.nan || o.nan
}

// carry propagates the limbs' carries: every limb but the last ends in
// [0, 2^32), the last keeps the sign.
func carry(l [exactSumLimbs]int64) [exactSumLimbs]int64 {
	for i := 0; i < len(l)-1; i++ {
		c := l[i] >> 32 // arithmetic: floor division by 2^32
		l[i] -= c << 32
		l[i+1] += c
	}
	return l
}

// Float64 is the sum rounded to the nearest float64 (ties to even); an
// infinite value makes it infinite, +Inf and −Inf together or a NaN NaN.
func (s *exactSum) Float64() float64 {
	switch {
	case s.nan || (s.posInf && s.negInf):
		return math.NaN()
	case s.posInf:
		return math.Inf(1)
	case s.negInf:
		return math.Inf(-1)
	}
	l := carry(s.limb)
	neg := l[len(l)-1] < 0
	if neg {
		for i := range l {
			l[i] = -l[i]
		}
		l = carry(l)
	}
	var z, d big.Int
	for i := len(l) - 1; i >= 0; i-- {
		z.Lsh(&z, 32)
		z.Add(&z, d.SetInt64(l[i]))
	}
	var f big.Float
	f.SetInt(&z) // exact: the precision grows to z's bit length
	f.SetMantExp(&f, -1074)
	v, _ := f.Float64()
	if neg {
		v = -v
	}
	return v
}
