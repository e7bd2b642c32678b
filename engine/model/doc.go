// Package model owns turning model files into engine.Model values: the
// XGBoost JSON loader and tree evaluator (written here, with XGBoost's
// float32 semantics), adapters around github.com/dmitryikh/leaves for
// LightGBM text and legacy XGBoost binary models, and format detection by
// content.
//
// The XGBoost evaluator scores blocks of 64 rows tree by tree. Blocks whose
// values are all finite take a fixed-depth, branch-free walk over a
// flattened forest (leaves point to themselves); blocks with NaN (missing)
// or ±Inf, and trees with categorical splits, take a checked walk that
// follows default directions. Features and leaf sums are float32, in tree
// order, as in XGBoost's CPU predictor.
package model
