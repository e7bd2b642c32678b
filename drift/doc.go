// Package drift owns the feature-drift statistics of mlectl: it reads a
// reference and a current dataset (CSV), compares them column by column with
// the statistics users know from Evidently's legacy stattests (PSI,
// Kolmogorov-Smirnov, Wasserstein, Jensen-Shannon, chi-square, z-test,
// L-infinity, Hellinger), picks the drift method and threshold the way
// Evidently does, and renders the report as JSON or as a table.
//
// The numbers agree with scipy/numpy (see ../shared/oracles/README.md): the
// KS p-value is scipy's exact two-sample p-value when max(n, m) <= 10000 and
// scipy's kstwo survival function of round(n*m/(n+m)) above; histogram edges
// follow numpy's "sturges" rule bit for bit, including numpy's linspace
// arithmetic, because a value sitting on an edge changes the counts.
//
// Batch comparison (Compare) is sort based, O(n log n) per column with a
// radix sort, allocation free per value, and runs columns in parallel.
//
// # Streaming sketches
//
// The collector cannot keep every value, so it keeps one mergeable Sketch per
// feature and window. A numerical sketch is a log-linear histogram (like
// DDSketch): bucket i covers values whose magnitude lies in
// [gamma^(i-1), gamma^i), gamma = (1+alpha)/(1-alpha), plus a zero bucket;
// every bucket also records the smallest and largest value it has seen, so
// merging two sketches (same alpha) is exact and order independent. A
// categorical sketch keeps exact counts per label.
//
// From two sketches the estimators return the statistic and a bound that is
// computed from the sketches themselves (Estimate.Bound):
//
//   - KS statistic: the empirical CDFs are known exactly at every bucket
//     edge; inside a bucket they can move by at most that bucket's mass. So
//     |KS_sketch - KS_exact| <= max over buckets holding more than one
//     distinct value (min < max) of max(mass_ref, mass_cur). A bucket that
//     saw a single value is exact, so data on a grid (temperatures to 0.01,
//     counts) give the exact statistic. With alpha = 0.005 the bound is below
//     0.01 whenever no bucket of relative width 1% holds more than 1% of
//     either sample (checked on bike-sharing season 1 vs season 3 in the
//     tests).
//   - Wasserstein: outside buckets both CDFs are exact; inside a bucket the
//     integrand is unknown, so the error is at most
//     sum over buckets of (max-min) * (mass_ref + mass_cur) <= 2 * alpha * (E|x_ref| + E|x_cur|).
//   - PSI, Jensen-Shannon, L-infinity, Hellinger: the sturges edges only need
//     the exact min, max and count of both samples, which the sketch keeps;
//     a bucket straddling an edge is split by linear interpolation, and the
//     returned bound is the mass of such straddling buckets (the L1 error of
//     the binned proportions); the statistic is exact when it is 0.
//   - Categorical sketches give exact statistics.
package drift
