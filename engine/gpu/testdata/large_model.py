"""Writes the benchmark's large model: 1,000 trees of depth 8 (XGBoost
1.7.4, Debian python3-xgboost), trained on synthetic rows with the bike
model's 12 features, plus 2,000 input rows.

    /usr/bin/python3 large_model.py OUT_DIR

It is generated at benchmark time (under a minute on 2 cores; the
benchmark keeps it in the temp dir for later runs) rather than kept in the
repository (tens of MB of JSON)."""
import os
import sys

import numpy as np
import xgboost as xgb


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(3)
    X = rng.random((4000, 12))
    y = np.sin(6 * X[:, 0]) + X[:, 1] * X[:, 2] + np.where(X[:, 3] > 0.5, X[:, 4], -X[:, 5]) \
        + 0.1 * rng.standard_normal(4000)
    bst = xgb.train({"objective": "reg:squarederror", "max_depth": 8, "eta": 0.05,
                     "tree_method": "hist", "min_child_weight": 0, "seed": 0, "nthread": 2},
                    xgb.DMatrix(X, label=y), num_boost_round=1000)
    bst.save_model(os.path.join(out, "model.json"))
    with open(os.path.join(out, "input.csv"), "w") as f:
        f.write(",".join("f%d" % i for i in range(12)) + "\n")
        for row in X[:2000]:
            f.write(",".join("%.9g" % v for v in row) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
