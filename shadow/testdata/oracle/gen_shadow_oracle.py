#!/usr/bin/python3
"""Reference shadow-comparison figures computed with scipy/numpy (Debian
python3-scipy 1.10.1, numpy 1.24.2), for shadow/oracle_test.go.

usage: /usr/bin/python3 gen_shadow_oracle.py   (run in this directory)

Each case directory gets pairs.csv (production,candidate,label; empty label =
unlabelled) and expected.json. Scores come from the model fixtures in
../../../testdata/models (XGBoost's own predictions) plus seeded numpy noise.
PSI uses the binning of ../shared/oracles/drift_oracle.py (Evidently's).
Never regenerate these files from the Go code.
"""
import json, os, sys
import numpy as np
from scipy import stats

sys.path.insert(0, "/work/shared/oracles")
from drift_oracle import binned  # noqa: E402

MODELS = os.path.join("..", "..", "..", "testdata", "models")


def preds(name):
    return np.loadtxt(os.path.join(MODELS, name, "expected_predictions.txt"))


def figures(p, c, y, task, threshold=0.5):
    d = np.abs(c - p)
    out = {"pairs": len(p), "task": task, "mean_abs_diff": float(d.mean()),
           "p99_abs_diff": float(np.quantile(d, 0.99)),
           "spearman": float(stats.spearmanr(p, c).correlation)}
    r, cc = binned(p, c, True, True)
    out["psi"] = float(np.sum((r - cc) * np.log(r / cc)))
    if task == "classification":
        out["threshold"] = threshold
        out["agreement"] = float(np.mean((p >= threshold) == (c >= threshold)))
    else:
        tol = 0.05 * np.mean(np.abs(p))
        out["tolerance"] = float(tol)
        out["agreement"] = float(np.mean(d <= tol))
    lab = ~np.isnan(y)
    out["labelled"] = int(lab.sum())
    if not lab.any():
        return out
    if task == "classification":
        pos = y[lab] > 0.5
        for side, s in (("production", p), ("candidate", c)):
            u = stats.mannwhitneyu(s[lab][pos], s[lab][~pos]).statistic
            out["auc_" + side] = float(u / (pos.sum() * (~pos).sum()))
    else:
        for side, s in (("production", p), ("candidate", c)):
            out["rmse_" + side] = float(np.sqrt(np.mean((s[lab] - y[lab]) ** 2)))
    return out


def write(name, p, c, y, task, **kw):
    os.makedirs(name, exist_ok=True)
    with open(os.path.join(name, "pairs.csv"), "w") as f:
        f.write("production,candidate,label\n")
        for a, b, l in zip(p, c, y):
            f.write("%r,%r,%s\n" % (float(a), float(b), "" if np.isnan(l) else repr(float(l))))
    with open(os.path.join(name, "expected.json"), "w") as f:
        json.dump(figures(p, c, y, task, **kw), f, indent=1)
        f.write("\n")


rng = np.random.default_rng(20261127)

# Binary classifier: XGBoost's probabilities vs a noisier production model.
c = preds("xgboost_bike_binary_missing")
p = np.clip(c + rng.normal(0, 0.08, len(c)), 0, 1)
y = (rng.random(len(c)) < c).astype(float)
y[rng.random(len(c)) < 0.2] = np.nan
write("classifier", p, c, y, "classification")
write("classifier_threshold_0.3", p, c, y, "classification", threshold=0.3)

# Regressor: bike-sharing counts, production 5% higher plus noise, rounded
# (ties in both ranks and differences).
c = preds("xgboost_bike_cnt_regression")
p = np.round(c * 1.05 + rng.normal(0, 15, len(c)), 0)
c = np.round(c, 1)
y = np.round(c + rng.normal(0, 40, len(c)))
y[rng.random(len(c)) < 0.5] = np.nan
write("regressor", p, c, y, "regression")

# Few distinct production scores (<= 20): PSI over value counts.
c = preds("xgboost_bike_binary_missing")
p = np.round(np.clip(c + rng.normal(0, 0.05, len(c)), 0, 1), 1)
c = np.round(c, 2)
y = np.full(len(c), np.nan)
write("coarse_scores", p, c, y, "classification")
