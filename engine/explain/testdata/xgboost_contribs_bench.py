"""Baseline for BenchmarkExplainBike: XGBoost's own TreeSHAP
(Booster.predict(DMatrix, pred_contribs=True)) on the same rows. Usage:
/usr/bin/python3 xgboost_contribs_bench.py MODEL_JSON INPUT_CSV ROWS NTHREAD...
Prints one JSON object: rows/s per thread count, timed with perf_counter
around the predict call only (best of REPEATS, a fresh DMatrix per call so
the prediction cache cannot answer), plus, for one thread, rows per second
of the calling thread's CPU time. XGB_BENCH_REPEATS overrides REPEATS (the
1M-row benchmark uses 1); the warm-up call runs on at most 10,000 rows."""
import json
import os
import sys
import time

import numpy as np
import xgboost as xgb

REPEATS = int(os.environ.get("XGB_BENCH_REPEATS", "3"))
WARMUP_ROWS = 10000


def main():
    model, inp, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    threads = [int(a) for a in sys.argv[4:]]
    X = np.loadtxt(inp, delimiter=",", skiprows=1, dtype=np.float64)
    X = np.ascontiguousarray(np.tile(X, (rows // len(X) + 1, 1))[:rows])
    bst = xgb.Booster(model_file=model)
    out = {"version": xgb.__version__, "rows": rows}
    for n in threads:
        bst.set_param({"nthread": n})
        timed(bst, X[:WARMUP_ROWS], time.perf_counter)  # warm-up
        out["contribs_nthread_%d" % n] = rows / min(timed(bst, X, time.perf_counter) for _ in range(REPEATS))
        if n == 1:
            # CPU time of the calling thread (OpenMP runs a team of one on
            # it): robust against other processes competing for the cores.
            out["contribs_thread_cpu_nthread_1"] = rows / min(timed(bst, X, time.thread_time) for _ in range(REPEATS))
    print(json.dumps(out))


def timed(bst, X, clock):
    dm = xgb.DMatrix(X, feature_names=bst.feature_names)
    t0 = clock()
    bst.predict(dm, pred_contribs=True)
    return clock() - t0


if __name__ == "__main__":
    main()
