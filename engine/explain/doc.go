// Package explain computes per-feature contributions of tree-ensemble
// predictions with exact path-dependent TreeSHAP (Lundberg, Erion & Lee,
// "Consistent Individualized Feature Attribution for Tree Ensembles", 2018,
// Algorithm 2: EXTEND and UNWIND over the decision path, weighted by the
// training cover of each node).
//
// The output follows XGBoost's predict(..., pred_contribs=True): per row and
// output group, one contribution per feature followed by the bias (the
// expected margin over the training data, base score included), so that the
// contributions plus the bias sum to the raw margin the model predicts for
// the row. Missing values (NaN) follow the split's default direction, as in
// scoring.
//
// Covers are the per-node sums the model files record: sum_hessian in
// XGBoost JSON and UBJSON, the node statistics (sum_hess) in XGBoost binary
// models, internal_count/leaf_count in LightGBM text models. engine/model's
// loaders keep them (model.LoadTrees), so this package reads no file
// itself: it lays out model.Trees for the algorithm. The split kinds there
// copy the scorers' semantics (XGBoost: float32 and "<", categorical sets as
// XGBoost; LightGBM text: float64, "<=", missing types and categorical
// bitsets as leaves has them), so the contributions of a row add up to the
// margin engine/model scores for it.
//
// Explaining a row allocates nothing: Explainer.Explain gives each worker
// one path buffer sized for the deepest tree and splits rows across workers
// like the CPU scorer; Forest.ExplainRow does one row with a caller-held
// Scratch (one per goroutine), for callers that explain records one by one.
//
// Forest.Flat lays a forest out as struct-of-arrays for engine/gpu's
// device kernels, which follow treeShap operation for operation.
package explain
