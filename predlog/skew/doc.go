// Package skew owns streaming drift in the collector: per model version and
// feature it keeps mergeable sketches (package drift) of the serving values
// in fixed windows (default 5 minutes) and hourly buckets of the last 24
// hours, so memory does not grow with traffic, and compares each closed
// window with the training profile (training/serving skew, against
// "baseline") and with the 24 hours before it (drift, against
// "previous_24h").
//
// Series (written by AppendTo, values of the last closed window):
//
//	mle_feature_drift_score{model,version,feature,method,against}
//	    numerical: ks, wasserstein_normed, psi; categorical: jensen_shannon, psi
//	mle_feature_drifted{model,version,feature,against}
//	    1 when the default method (wasserstein_normed for numerical,
//	    jensen_shannon for categorical: Evidently's choice for large
//	    samples) is at or above Threshold (default 0.1)
//	mle_dataset_drift_share{model,version,against}
//	mle_prediction_drift_score{model,version,method,against="previous_24h"}
//
// The error bounds of the estimates are those of drift's sketch estimators
// (see go doc drift): with the default alpha the KS statistic is within 0.01
// of the exact one unless a 1%-wide bucket holds over 1% of a sample.
//
// The windows are also served as a histogram (Handler, GET
// /api/v1/drift/{model}/features/{feature}/histogram?version=V&bins=N&window=W,
// in the Prometheus envelope). window=scored, the default, is the last
// closed window, the one the scores above were computed from, with its
// start, end and sample count; before the first window closes the answer is
// the open window and says so (window.kind "open"). window=open is the
// window still filling. To serve the scored window each feature (and the
// prediction) keeps its last closed window's sketch when the window
// rotates: one extra sketch per feature, so memory stays bounded. The
// answer holds a numerical feature's window counts over the
// baseline profile's bins (N equal bins over the profile's [min, max],
// default 20, values outside counted as below/above) beside the profile's
// proportions over the same bins, or a categorical feature's exact counts
// beside the profile's shares. The numerical counts come from the window's
// sketch: exact except for sketch buckets (about 1% of |x| wide) that
// straddle a bin edge, which are split by linear interpolation and reported
// as "uncertain" (the L1 error is at most twice that; 0 means exact).
//
// Records' Features are read, never retained. A feature is numerical or
// categorical as in the baseline profile, else as its first value; values of
// the other kind are skipped (the data contract counts them), nulls count as
// missing.
package skew
