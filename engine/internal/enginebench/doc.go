// Package enginebench is the scaffolding the scoring and explaining
// benchmarks share: a batch replicated to a fixed row count, the XGBoost
// baseline run in the same process tree (python3-xgboost), and the
// rows/s figures reported beside it in wall-clock and thread CPU time.
// Only benchmarks import it.
package enginebench
