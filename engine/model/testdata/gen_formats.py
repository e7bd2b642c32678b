"""Train small XGBoost models and save each in the three formats XGBoost
1.7 writes, with XGBoost's own predictions as the oracle (Debian
python3-xgboost 1.7.4, numpy 1.24.2; no pandas):

    cd engine/model/testdata
    /usr/bin/python3 gen_formats.py /work/shared/data/tabular/bike_sharing/hour.csv

Data: the UCI bike-sharing hour.csv (CC BY 4.0, see shared/data/SOURCES.md).
Each case folder gets model.json, model.ubj (UBJSON: the same document in
Universal Binary JSON, XGBoost's default from 2.0) and model.bin (the "binf"
binary format that save_model writes in 1.x for other names), input.csv
(header = features, empty cell = missing), predictions.csv (Booster.predict)
and raw.csv (predict(output_margin=True)), one row per input row, %.9g.
The Go code is never used to produce them.
"""
import os
import sys

import numpy as np
import xgboost as xgb

FEATURES = ["season", "yr", "mnth", "hr", "holiday", "weekday", "workingday",
            "weathersit", "temp", "atemp", "hum", "windspeed"]


def load(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.genfromtxt(path, delimiter=",", skip_header=1, usecols=[
        i for i, h in enumerate(header) if h != "dteday"], dtype=np.float64)
    cols = [h for h in header if h != "dteday"]
    return {c: data[:, i] for i, c in enumerate(cols)}


def write(case, bst, feats, X):
    os.makedirs(case, exist_ok=True)
    for name in ("model.json", "model.ubj", "model.bin"):
        bst.save_model(os.path.join(case, name))
    with open(os.path.join(case, "input.csv"), "w") as f:
        f.write(",".join(feats) + "\n")
        for row in X:
            f.write(",".join("" if np.isnan(v) else "%.9g" % v for v in row) + "\n")
    dm = xgb.DMatrix(X, missing=np.nan)
    np.savetxt(os.path.join(case, "predictions.csv"), bst.predict(dm), fmt="%.9g", delimiter=",")
    np.savetxt(os.path.join(case, "raw.csv"), bst.predict(dm, output_margin=True), fmt="%.9g", delimiter=",")


def main(path):
    d = load(path)
    X = np.column_stack([d[c] for c in FEATURES])
    cnt = d["cnt"]
    tr, te = slice(0, 15000), slice(15000, 15200)
    rng = np.random.default_rng(11)

    # reg:squarederror, depth 6, 30 trees.
    bst = xgb.train({"objective": "reg:squarederror", "max_depth": 6, "eta": 0.2, "seed": 0},
                    xgb.DMatrix(X[tr], label=cnt[tr]), num_boost_round=30)
    write("regression", bst, FEATURES, X[te])

    # binary:logistic with 20% missing cells and base_score 0.4 (stored as a
    # probability, applied as a logit).
    Xm = X.copy()
    Xm[rng.random(Xm.shape) < 0.2] = np.nan
    bst = xgb.train({"objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "base_score": 0.4,
                     "seed": 0}, xgb.DMatrix(Xm[tr], label=(cnt[tr] > 150).astype(int), missing=np.nan),
                    num_boost_round=25)
    write("binary_missing", bst, FEATURES, Xm[te])

    # multi:softprob, 3 classes (weather situation 1, 2, 3+) from the others.
    feats = [f for f in FEATURES if f != "weathersit"]
    Xc = np.column_stack([d[c] for c in feats])
    y = np.clip(d["weathersit"], 1, 3) - 1
    bst = xgb.train({"objective": "multi:softprob", "num_class": 3, "max_depth": 3, "eta": 0.3,
                     "seed": 0}, xgb.DMatrix(Xc[tr], label=y[tr]), num_boost_round=8)
    write("multiclass", bst, feats, Xc[te])

    # DART (weight_drop scales each tree; binf stores it after tree_info).
    bst = xgb.train({"booster": "dart", "objective": "count:poisson", "max_depth": 4, "eta": 0.3,
                     "rate_drop": 0.2, "skip_drop": 0.0, "seed": 0},
                    xgb.DMatrix(X[tr], label=cnt[tr]), num_boost_round=10)
    write("dart_poisson", bst, FEATURES, X[te])


if __name__ == "__main__":
    main(sys.argv[1])
