"""Reference contributions for engine/explain, from XGBoost's own TreeSHAP
(Booster.predict(..., pred_contribs=True); Debian python3-xgboost 1.7.4,
numpy 1.24.2; no pandas needed). Run from this folder:

    /usr/bin/python3 gen_contribs.py ../../../testdata/models /work/shared/data/tabular/adult/adult.data

- For each XGBoost JSON fixture in the repository's testdata/models (case
  names below), writes <case>_contribs.csv: the contributions of the first
  ROWS rows of its input.csv (header = features, then bias; one row per
  input row; multi-class models: one row per input row and class, class-major
  within a row, as XGBoost's (rows, classes, features+1) array flattens).
- Trains adult_binary/: binary:logistic on the UCI Adult training split
  (CC BY 4.0; categorical columns as integer codes of their sorted values,
  "?" as missing), 30 rounds of depth 5, and writes model.json, input.csv
  (ROWS held-out rows, empty cell = missing) and contribs.csv.
The Go code is never used to produce these files.
"""
import os
import sys

import numpy as np
import csv
import xgboost as xgb

ROWS = 300
CASES = ["xgboost_bike_cnt_regression", "xgboost_bike_binary_missing",
         "xgboost_bike_multiclass", "xgboost_bike_categorical", "xgboost_bike_dart"]
ADULT_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
                 "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
                 "hours_per_week", "native_country", "income"]
ADULT_CATEGORICAL = ["workclass", "marital_status", "occupation", "relationship", "race", "sex",
                     "native_country"]


def read_csv(path, rows=None):
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        data = [[float(v) if v != "" else np.nan for v in row] for row in r]
    X = np.array(data[:rows] if rows else data, dtype=np.float64)
    return header, X


def write_csv(path, header, X):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in X:
            w.writerow(["" if np.isnan(v) else "%.9g" % v for v in row])


def write_contribs(path, bst, dm, features):
    c = bst.predict(dm, pred_contribs=True)
    write_csv(path, list(features) + ["bias"], c.reshape(-1, c.shape[-1]))


def fixture_case(models, case):
    bst = xgb.Booster(model_file=os.path.join(models, case, "model.json"))
    header, X = read_csv(os.path.join(models, case, "input.csv"), ROWS)
    types = None
    if case == "xgboost_bike_categorical":
        types = ["c" if h in ("hr", "weekday") else "q" for h in header]
    dm = xgb.DMatrix(X, missing=np.nan, feature_names=header, feature_types=types,
                     enable_categorical=types is not None)
    write_contribs(case + "_contribs.csv", bst, dm, header)


def adult(path):
    rows = []
    with open(path) as f:
        for line in f:
            parts = [p.strip() for p in line.strip().split(",")]
            if len(parts) == len(ADULT_COLUMNS):
                rows.append(parts)
    features = [c for c in ADULT_COLUMNS if c not in ("income", "education")]
    codes = {}
    for c in ADULT_CATEGORICAL:
        k = ADULT_COLUMNS.index(c)
        codes[c] = {v: i for i, v in enumerate(sorted({r[k] for r in rows if r[k] != "?"}))}
    X = np.empty((len(rows), len(features)))
    for i, r in enumerate(rows):
        for j, c in enumerate(features):
            v = r[ADULT_COLUMNS.index(c)]
            X[i, j] = np.nan if v == "?" else (codes[c][v] if c in codes else float(v))
    y = np.array([r[-1] == ">50K" for r in rows], dtype=np.float64)
    Xtr, ytr, Xte = X[:20000], y[:20000], X[30000:30000 + ROWS]
    bst = xgb.train({"objective": "binary:logistic", "max_depth": 5, "eta": 0.3, "seed": 0},
                    xgb.DMatrix(Xtr, label=ytr, feature_names=features), num_boost_round=30)
    os.makedirs("adult_binary", exist_ok=True)
    bst.save_model("adult_binary/model.json")
    write_csv("adult_binary/input.csv", features, Xte)
    write_contribs("adult_binary/contribs.csv", bst, xgb.DMatrix(Xte, feature_names=features), features)


def main(models, adult_path):
    for case in CASES:
        fixture_case(models, case)
    adult(adult_path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
