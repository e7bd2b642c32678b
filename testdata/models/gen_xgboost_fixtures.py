"""Regenerate the XGBoost JSON fixtures in this folder with XGBoost's own
predictor (Debian python3-xgboost 1.7.4, numpy 1.24.2, pandas 1.5.3):

    /usr/bin/python3 gen_xgboost_fixtures.py /work/shared/data/tabular/bike_sharing/hour.csv

Each case folder gets model.json, input.csv (header = model features, empty
cell = missing), expected_predictions.txt (predict / predict_proba) and
expected_raw.txt (output_margin=True). The Go code is never used to produce
them.
"""
import os
import sys

import numpy as np
import pandas as pd
import xgboost as xgb

FEATURES = ["season", "yr", "mnth", "hr", "holiday", "weekday", "workingday",
            "weathersit", "temp", "atemp", "hum", "windspeed"]


def write(case, booster, X, dm):
    os.makedirs(case, exist_ok=True)
    booster.save_model(os.path.join(case, "model.json"))
    X.to_csv(os.path.join(case, "input.csv"), index=False, na_rep="", float_format="%.9g")
    np.savetxt(os.path.join(case, "expected_predictions.txt"), booster.predict(dm), fmt="%.9g", delimiter=",")
    np.savetxt(os.path.join(case, "expected_raw.txt"), booster.predict(dm, output_margin=True), fmt="%.9g", delimiter=",")


def main(path):
    df = pd.read_csv(path)
    rng = np.random.default_rng(7)
    train, test = df.iloc[:15000], df.iloc[15000:15300]

    # binary:logistic with missing values (NaN follows the default direction)
    # and a non-default base_score (stored as a probability, used as a logit).
    def holes(X):
        X = X.copy().astype("float64")
        X[rng.random(X.shape) < 0.15] = np.nan
        return X
    Xtr, Xte = holes(train[FEATURES]), holes(test[FEATURES])
    dtr = xgb.DMatrix(Xtr, label=(train["cnt"] > 150).astype(int))
    bst = xgb.train({"objective": "binary:logistic", "max_depth": 5, "eta": 0.3,
                     "base_score": 0.3, "seed": 0}, dtr, num_boost_round=20)
    write("xgboost_bike_binary_missing", bst, Xte, xgb.DMatrix(Xte))

    # multi:softprob, 4 classes (weather situation from the other features).
    feats = [f for f in FEATURES if f != "weathersit"]
    ytr = train["weathersit"].clip(upper=4) - 1
    bst = xgb.train({"objective": "multi:softprob", "num_class": 4, "max_depth": 3,
                     "eta": 0.3, "seed": 0}, xgb.DMatrix(train[feats], label=ytr), num_boost_round=10)
    write("xgboost_bike_multiclass", bst, test[feats], xgb.DMatrix(test[feats]))

    # Categorical splits (hr and weekday as pandas categories, hist method).
    def cats(X):
        X = X.copy()
        X["hr"] = pd.Categorical(X["hr"], categories=list(range(24)))
        X["weekday"] = pd.Categorical(X["weekday"], categories=list(range(7)))
        return X
    Ctr, Cte = cats(train[FEATURES]), cats(test[FEATURES])
    bst = xgb.train({"objective": "reg:squarederror", "max_depth": 5, "eta": 0.3,
                     "tree_method": "hist", "max_cat_to_onehot": 1, "seed": 0},
                    xgb.DMatrix(Ctr, label=train["cnt"], enable_categorical=True), num_boost_round=15)
    out = Cte.copy()
    out["hr"] = out["hr"].astype(int)
    out["weekday"] = out["weekday"].astype(int)
    write("xgboost_bike_categorical", bst, out, xgb.DMatrix(Cte, enable_categorical=True))

    # DART booster (weight_drop scales each tree), reg:squarederror.
    bst = xgb.train({"booster": "dart", "objective": "reg:squarederror", "max_depth": 4, "eta": 0.3,
                     "rate_drop": 0.2, "skip_drop": 0.0, "seed": 0},
                    xgb.DMatrix(train[FEATURES], label=train["cnt"]), num_boost_round=12)
    write("xgboost_bike_dart", bst, test[FEATURES], xgb.DMatrix(test[FEATURES]))


if __name__ == "__main__":
    main(sys.argv[1])
