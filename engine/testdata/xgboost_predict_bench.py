"""Baseline for BenchmarkScoreBike: XGBoost's own CPU predictor on the same
rows. Usage: python3 xgboost_predict_bench.py MODEL_JSON INPUT_CSV ROWS NTHREAD...
Prints one JSON object: rows/s per thread count, timed with perf_counter
around the predict call only (best of REPEATS), plus, for one thread, rows
per second of the calling thread's CPU time."""
import json
import sys
import time

import numpy as np
import xgboost as xgb

REPEATS = 5


def main():
    model, inp, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    threads = [int(a) for a in sys.argv[4:]]
    X = np.loadtxt(inp, delimiter=",", skiprows=1, dtype=np.float64)
    X = np.ascontiguousarray(np.tile(X, (rows // len(X) + 1, 1))[:rows])
    bst = xgb.Booster(model_file=model)
    out = {"version": xgb.__version__, "rows": rows}
    for n in threads:
        bst.set_param({"nthread": n})
        bst.inplace_predict(X)  # warm-up
        best = min(timed(lambda: bst.inplace_predict(X)) for _ in range(REPEATS))
        out["inplace_nthread_%d" % n] = rows / best
        # DMatrix path: a fresh DMatrix per call (its construction is not
        # timed), so XGBoost's per-DMatrix prediction cache cannot answer.
        best = min(timed_dmatrix(bst, X) for _ in range(REPEATS))
        out["dmatrix_nthread_%d" % n] = rows / best
        if n == 1:
            # CPU time of the calling thread (OpenMP runs a team of one on
            # it): robust against other processes competing for the cores.
            best = min(timed_cpu(lambda: bst.inplace_predict(X)) for _ in range(REPEATS))
            out["inplace_thread_cpu_nthread_1"] = rows / best
    print(json.dumps(out))


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def timed_cpu(fn):
    t0 = time.thread_time()
    fn()
    return time.thread_time() - t0


def timed_dmatrix(bst, X):
    dm = xgb.DMatrix(X, feature_names=bst.feature_names)
    t0 = time.perf_counter()
    bst.predict(dm)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
