// Package quality owns live model quality: it joins ground-truth labels
// (POST /api/v1/feedback) to logged predictions by request id within a
// horizon (default 7 days; late labels are normal), and turns the joined
// pairs into series:
//
//	mle_model_accuracy, mle_model_precision, mle_model_recall, mle_model_f1,
//	mle_model_roc_auc, mle_model_log_loss          (classification)
//	mle_model_mae, mle_model_rmse, mle_model_mape  (regression)
//	mle_label_lag_seconds     mean seconds from prediction to label
//	mle_label_coverage_ratio  labelled / joinable predictions seen
//
// each labelled {model,version,role}. The metrics follow scikit-learn's
// definitions (see metrics.go) and are computed over the last Window joined
// pairs of each model version, so they move with the model rather than
// averaging over its whole life.
//
// Task detection: a model version is a classification model when its labels
// are strings or booleans, or when every numeric label is 0 or 1 and every
// prediction lies in [0, 1] (a binary score); otherwise it is a regression
// model. Binary scores are thresholded at 0.5 for accuracy, precision, recall
// and F1 (sklearn's average="binary", positive class 1); multi-class
// predictions (labels, or objects of class scores, argmax) use
// average="macro"; ROC AUC is one-vs-rest macro for multi-class scores.
//
// Joinable predictions have a request id, status ok and a prediction, and
// are not injected (a game day must not move quality). Memory is bounded: at most MaxPending predictions wait for a label (the
// oldest are forgotten first), and labels that arrive before their
// prediction wait up to MaxPending as well.
package quality
