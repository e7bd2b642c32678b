#!/usr/bin/env bash
# gpu-check.sh: on whatever GPU this machine has, runs the device
# backends' parity tests — scoring (CUDA and OpenCL against the CPU
# evaluator, leaf for leaf, pipelined and on one queue) and TreeSHAP
# contributions (the device kernels against engine/explain) — and the two
# backends benchmarks: predictions (cuda, opencl and cpu beside XGBoost's
# inplace_predict, each device pipelined and on one queue/stream) and
# contributions (beside XGBoost's pred_contribs), all in one run, and
# writes everything into one results file. Without a GPU it says so and runs what there is: the
# OpenCL tests on POCL (a CPU device) and the cpu rows; CUDA skips with the
# reason.
#
#   scripts/gpu-check.sh [RESULTS_FILE]
#
# RESULTS_FILE defaults to gpu-check-<host>-<UTC time>.txt here.
# Environment: BENCH (the -bench pattern, default
# 'ScoreBackends|ExplainBackends': predictions for the bike model at 10k,
# 100k, 1M rows and the 1,000-tree model at 10k, 100k, ENGINE_BENCH_LARGE_1M=1
# adds its 1M rows; contributions as BenchmarkExplainBackends documents
# its ENGINE_BENCH_EXPLAIN_* variables), BENCHTIME (default 3x).
# The large model and the XGBoost baseline need /usr/bin/python3 with
# xgboost (Debian's python3-xgboost); without it those rows are left out.
# Exit status: 1 when a parity test fails, else 0.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-gpu-check-$(hostname)-$(date -u +%Y%m%dT%H%M%SZ).txt}"
bench="${BENCH:-ScoreBackends|ExplainBackends}"
benchtime="${BENCHTIME:-3x}"
: >"$out"
say() { printf '%s\n' "$*" | tee -a "$out"; }

say "# mlectl gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
say "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
say "go: $(go version)"
say "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
if command -v nvidia-smi >/dev/null 2>&1; then
  say "nvidia-smi:"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/  /' | tee -a "$out"
else
  say "nvidia-smi: absent (no NVIDIA driver)"
fi
if ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1'; then
  say "libcuda.so.1: present"
else
  say "libcuda.so.1: absent: the CUDA backend cannot run here, its tests skip"
fi
if command -v clinfo >/dev/null 2>&1; then
  say "OpenCL devices:"
  clinfo -l 2>&1 | sed 's/^/  /' | tee -a "$out"
fi
gpu=no
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then gpu=yes; fi
if [[ $gpu == no ]] && command -v clinfo >/dev/null 2>&1 && clinfo 2>/dev/null | grep -q 'Device Type.*GPU'; then gpu=yes; fi
[[ $gpu == no ]] && say "GPU: none found: the OpenCL rows run on POCL (this CPU), no cuda rows"

say ""
say "## parity (go test ./engine/gpu ./engine/explain)"
# Scoring: TestCUDAParity, TestOpenCLParity, TestOpenCLPipelineParity,
# the LightGBM ones (TestOpenCLLightGBMParity, ...Oracles, ...) and the
# selection tests. TreeSHAP on the devices: every engine/gpu test with
# Explain or Shap in its name (TestOpenCLExplainParity, TestTreeShapPTX...,
# TestSelectExplainer, TestExplainFallback, ...), and any TestExplain*Parity
# in engine/explain.
go test -count=1 -v -timeout 30m \
  -run 'TestCUDAParity|TestOpenCLParity|TestOpenCLPipelineParity|TestPerModelOpenCL|TestCUDALoaderErrors|TestPTXWellFormed|TestSelect|LightGBM|Explain|Shap' \
  ./engine/gpu/ >"$out.parity" 2>&1
parity=$?
go test -count=1 -v -timeout 30m -run 'Explain.*Parity|Shap.*Parity' ./engine/explain/ >>"$out.parity" 2>&1 || parity=1
grep -E '^(=== RUN|--- |\s+--- |ok|FAIL|PASS)|device:|skip|no CUDA|no OpenCL' "$out.parity" | grep -v '^=== RUN' | tee -a "$out"
if [[ $parity -ne 0 ]]; then
  say "PARITY FAILED; full output:"
  cat "$out.parity" >>"$out"
fi
rm -f "$out.parity"

say ""
say "## benchmark (-bench '$bench' -benchtime $benchtime)"
go test -v -run '^$' -bench "$bench" -benchtime "$benchtime" -timeout 90m ./engine/gpu/ >"$out.bench" 2>&1
grep -E 'device:|no cuda rows|skipping|no XGBoost' "$out.bench" | sed 's/^ *//' | sort -u | tee -a "$out"
say ""
say "XGBoost baseline: inplace_predict for predictions, pred_contribs for contributions."
say "opencl and cuda chunks alternate over two queues/streams; opencl-1queue and cuda-1stream put them on one."
say ""
say "| output | model | rows | backend | rows/s | XGBoost rows/s | x XGBoost |"
say "|---|---|---:|---|---:|---:|---:|"
awk '/^Benchmark(Score|Explain)Backends\// && /rows\/s/ {
  split($1, p, "/"); kind = (p[1] ~ /Explain/ ? "contributions" : "predictions")
  model = p[2]; rows = p[3]; be = p[4]
  sub(/^rows=/, "", rows); sub(/^backend=/, "", be); sub(/-[0-9]+$/, "", be)
  rate = ""; xr = ""; xx = ""
  for (i = 3; i < NF; i++) {
    if ($(i+1) == "rows/s") rate = $i
    if ($(i+1) == "xgboost_rows/s") xr = $i
    if ($(i+1) == "x_vs_xgboost") xx = $i
  }
  printf "| %s | %s | %s | %s | %.0f | %s | %s |\n", kind, model, rows, be, rate, (xr == "" ? "-" : sprintf("%.0f", xr)), (xx == "" ? "-" : xx)
}' "$out.bench" | tee -a "$out"
say ""
say "| pipelining (predictions) | rows | two queues/streams rows/s | one rows/s | x one |"
say "|---|---:|---:|---:|---:|"
awk '/^BenchmarkScoreBackends\// && /rows\/s/ {
  split($1, p, "/"); be = p[4]; sub(/^backend=/, "", be); sub(/-[0-9]+$/, "", be)
  for (i = 3; i < NF; i++) if ($(i+1) == "rows/s") rate[p[2] "/" p[3] "/" be] = $i
  if (be == "opencl" || be == "cuda") keys[++n] = p[2] "/" p[3] "/" be
}
END {
  for (k = 1; k <= n; k++) {
    split(keys[k], q, "/"); one = keys[k] (q[3] == "opencl" ? "-1queue" : "-1stream")
    if (!(one in rate)) continue
    r = q[2]; sub(/^rows=/, "", r)
    printf "| %s %s | %s | %.0f | %.0f | %.2f |\n", q[3], q[1], r, rate[keys[k]], rate[one], rate[keys[k]] / rate[one]
  }
}' "$out.bench" | tee -a "$out"
if ! grep -q '^ok' "$out.bench"; then
  say "BENCHMARK FAILED; full output:"
  cat "$out.bench" >>"$out"
fi
rm -f "$out.bench"
say ""
say "results: $out"
[[ $parity -eq 0 ]]
