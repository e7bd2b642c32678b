// Package model owns turning model files into engine.Model values: the
// XGBoost loaders and tree evaluator (written here, with XGBoost's float32
// semantics) for the JSON, UBJSON and binary ("binf" and pre-1.0) formats,
// a LightGBM evaluator over the Trees that LoadLightGBMTrees reads from
// model.txt (LightGBM's float64 decisions and output links; one reader of
// the file for scoring and explaining; LoadLightGBMJSONTrees reads a JSON
// dump, Booster.dump_model(), into the same Trees, so a dump scores and
// explains as its model.txt does), and format detection by content.
// Dumps run to hundreds of megabytes, so they are read in place by
// jsonScanner (jsonscan.go), which allocates nothing per token, rather
// than through encoding/json.
//
// The three XGBoost formats decode into one xgbSpec (UBJSON by transcoding
// to JSON text), which newXGBoost validates and flattens. The binary and
// UBJSON readers check every count against the bytes left in the file
// before allocating, and their errors name the byte offset.
//
// LoadTrees gives the same loaders' trees with every node's training cover
// (XGBoost sum_hessian, or the binary format's sum_hess statistic; LightGBM
// internal_count and leaf_count, read by LoadLightGBMTrees from model.txt
// and LoadLightGBMJSONTrees from a dump), the structure
// engine/explain runs TreeSHAP on, so that no other package parses model
// files; a loaded model's Trees method gives the same value without a
// second read.
//
// The XGBoost evaluator scores blocks of 64 rows tree by tree. Blocks whose
// values are all finite take a fixed-depth, branch-free walk over a
// flattened forest (leaves point to themselves); blocks with NaN (missing)
// or ±Inf, and trees with categorical splits, take a checked walk that
// follows default directions. Features and leaf sums are float32, in tree
// order, as in XGBoost's CPU predictor.
package model
