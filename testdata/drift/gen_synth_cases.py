#!/usr/bin/python3
"""Synthetic drift cases exercising edge paths (missing cells, text columns,
bool columns, categories absent from the reference, int/float spellings,
KS exact square and asymptotic small-n paths, >1000-row methods).
expected.json comes from ../../../shared/oracles/drift_oracle.py (scipy), never
from the Go code:  /usr/bin/python3 gen_synth_cases.py ORACLE.py"""
import os, subprocess, sys
import numpy as np
import pandas as pd

oracle = sys.argv[1]
rng = np.random.default_rng(2026)


def write(name, ref, cur, args):
    os.makedirs(name, exist_ok=True)
    ref.to_csv(f"{name}/reference.csv", index=False)
    cur.to_csv(f"{name}/current.csv", index=False)
    with open(f"{name}/args", "w") as f:
        f.write(" ".join(args) + "\n")
    out = subprocess.run(["/usr/bin/python3", oracle, f"{name}/reference.csv", f"{name}/current.csv", *args],
                         check=True, capture_output=True, text=True).stdout
    with open(f"{name}/expected.json", "w") as f:
        f.write(out)


def mixed(n, shift):
    temp = np.round(rng.normal(0.5 + shift, 0.2, n), 2)
    temp[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame({
        "temp": temp,
        "level": rng.choice([0.5, 1.5, 2.5, 3.5, 4.5, 7.25], n, p=[.3, .2, .2, .1, .1, .1] if shift == 0 else [.1, .1, .2, .2, .2, .2]),
        "flag": rng.choice([0, 1], n, p=[0.7, 0.3] if shift == 0 else [0.6, 0.4]),
        "city": rng.choice(["Paris", "Oslo", "Zürich", "Lima"] if shift else ["Paris", "Oslo", "Zürich"], n),
        "weather": rng.choice([1, 2, 3], n),
        "active": rng.choice([True, False], n),
        "score": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 3, n)),
        "const": np.ones(n, dtype=int),
    })


write("synth_mixed", mixed(400, 0), mixed(450, 0.1), ["--categorical", "weather,score"])
write("synth_columns_subset", mixed(300, 0), mixed(300, 0.05), ["--columns", "city,temp,flag", "--categorical", "flag"])

# equal sizes: exact p-value by the square formula
a = pd.DataFrame({"x": np.round(rng.normal(0, 1, 800), 3), "y": rng.integers(0, 50, 800)})
b = pd.DataFrame({"x": np.round(rng.normal(0.15, 1, 800), 3), "y": rng.integers(0, 52, 800)})
write("synth_equal_sizes", a, b, [])

# small reference, large current: asymptotic kstwo with n <= 140
a = pd.DataFrame({"x": np.round(rng.normal(0, 1, 120), 2), "z": rng.integers(0, 30, 120)})
b = pd.DataFrame({"x": np.round(rng.normal(0.1, 1, 10500), 2), "z": rng.integers(0, 32, 10500)})
write("synth_small_reference", a, b, [])

# > 1000 reference rows: wasserstein_normed and jensen_shannon
a = pd.DataFrame({"x": np.round(rng.gamma(2, 1, 1500), 3), "c": rng.choice(list("abcde"), 1500), "n": rng.integers(0, 4, 1500)})
b = pd.DataFrame({"x": np.round(rng.gamma(2.4, 1, 1600), 3), "c": rng.choice(list("abcdef"), 1600), "n": rng.integers(0, 4, 1600)})
write("synth_large_reference", a, b, [])
