#!/usr/bin/python3
"""Reference values for drift's special functions, from scipy 1.10.1 / numpy 1.24.2
(Debian python3-scipy). Regenerate: /usr/bin/python3 gen_scipy_values.py > scipy_values.json
Never regenerate from the Go code."""
import json
import numpy as np
from scipy import stats, special
from scipy.stats import _stats_py

out = {"kstwo_sf": [], "ks_exact": [], "chi2_sf": [], "smirnov": [], "sturges": [], "ks_2samp": []}
for n in [1, 2, 5, 30, 140, 141, 500, 2000, 8138, 50000, 100000, 100001, 500000, 2000000]:
    for x in [0.0001, 0.001, 0.003, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.5, 0.7, 0.99, 1 / n, 0.75 / n, 1 - 0.5 / n]:
        if 0 < x < 1:
            out["kstwo_sf"].append([n, x, float(stats.kstwo.sf(x, n))])
for n in [3, 10, 100, 1000, 20000]:
    for x in [0.01, 0.05, 0.1, 0.3, 0.6]:
        out["smirnov"].append([n, x, float(special.smirnov(n, x))])
for n1, n2 in [(10, 10), (50, 50), (100, 130), (618, 719), (1000, 999), (3000, 7000), (9999, 10000), (200, 10000), (10000, 10000), (7, 5000)]:
    g = np.gcd(n1, n2)
    for d in [0.01, 0.03, 0.05, 0.1, 0.2, 0.5]:
        ok, dd, p = _stats_py._attempt_exact_2kssamp(n1, n2, g, d, "two-sided")
        if ok:
            out["ks_exact"].append([n1, n2, d, float(dd), float(p)])
for df in [1, 2, 3, 5, 10, 40, 101, 1000]:
    for x in [0.001, 0.5, 1, 3, 10, 50, 200, 1500]:
        out["chi2_sf"].append([df, x, float(stats.chi2.sf(x, df))])
rng = np.random.default_rng(7)
for size in [21, 100, 1023, 1024, 2048, 4096, 10000, 65536]:
    for lo, hi in [(0.0, 1.0), (0.02, 1.0), (-3.3, 7.1), (1.0, 977.0), (0.1, 0.3)]:
        e = np.histogram_bin_edges(np.concatenate([[lo, hi], np.full(size - 2, (lo + hi) / 2)]), bins="sturges")
        out["sturges"].append([size, lo, hi, [float(v) for v in e]])
# samples are integers in thousandths: value = k/1000, as np.round(x, 3) gives
for n1, n2, shift in [(200, 300, 0.3), (5000, 5000, 0.05), (10001, 3000, 0.03), (100, 10001, 0.4)]:
    ka = np.rint(rng.normal(0, 1, n1) * 1000).astype(int)
    kb = np.rint(rng.normal(shift, 1, n2) * 1000).astype(int)
    a, b = ka / 1000, kb / 1000
    r = stats.ks_2samp(a, b, method="auto")
    out["ks_2samp"].append({"a": ka.tolist(), "b": kb.tolist(), "statistic": float(r.statistic), "pvalue": float(r.pvalue),
                            "wasserstein": float(stats.wasserstein_distance(a, b))})
json.dump(out, __import__("sys").stdout)
