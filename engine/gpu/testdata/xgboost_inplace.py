"""Baseline for BenchmarkScoreBackends: XGBoost's own inplace_predict on the
same rows. Usage: python3 xgboost_inplace.py MODEL INPUT_CSV ROWS NTHREAD
Prints rows/s, best of 3, timed with perf_counter around the call."""
import sys
import time

import numpy as np
import xgboost as xgb


def main():
    model, inp, rows, nthread = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    X = np.loadtxt(inp, delimiter=",", skiprows=1, dtype=np.float64)
    X = np.ascontiguousarray(np.tile(X, (rows // len(X) + 1, 1))[:rows])
    bst = xgb.Booster(model_file=model)
    bst.set_param({"nthread": nthread})
    bst.inplace_predict(X)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        bst.inplace_predict(X)
        best = min(best, time.perf_counter() - t0)
    print(rows / best)


if __name__ == "__main__":
    main()
