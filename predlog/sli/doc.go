// Package sli owns the per-record service-level indicators of the
// prediction log beyond drift: how much each feature moved the predictions
// (the explanations logged with them), how many predictions were logged
// with an explanation at all, and how fresh the features were.
//
// Like the streaming drift windows (package predlog/skew) it keeps one
// fixed window per model version (default 5 minutes, the collector's
// drift.window) and writes the values of the last closed window:
//
//	mle_feature_attribution_mean_abs{model,version,feature}
//	    mean |contribution| of the feature over the window's records that
//	    logged a contribution for it
//	mle_feature_attribution_change{model,version,feature}
//	    mean_abs of the window minus mean_abs of the reference window: the
//	    first closed window that explained the feature (0 in that window);
//	    a feature whose influence grew is positive. Ranked by it, the
//	    features say which drifted input actually moved the predictions.
//	mle_explanation_coverage_ratio{model,version}
//	    records that carried explanations / records of the window; written
//	    only for model versions that have logged an explanation since the
//	    collector started, so models that never log them do not read as 0
//	mle_feature_freshness_seconds{model,version,feature,quantile}
//	    quantile="0.5" and "0.99" of the feature's age at prediction time
//	    (record ts minus feature_ts), nearest-rank quantiles: exact while a
//	    window holds at most MaxSamples ages per feature, over a uniform
//	    reservoir sample of them beyond
//
// Records are read, never retained. Memory is bounded by MaxFeatures per
// model version and MaxSamples ages per feature and window. Injected
// records count, as they do for drift: a game day is meant to move these.
package sli
