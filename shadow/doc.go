// Package shadow owns the shadow comparison of a production model and its
// candidate (a version at stage shadow or canary): the figures (Compare,
// Accumulator), pairing logged traffic (PairLogged), batch replay of stored
// production records through a candidate model file (Replay), live shadow
// scoring of arriving records (Live, an Observer and SeriesWriter of
// predlog/api) and GET /api/v1/shadow/{model}/report (Handler).
//
// # Figures
//
// Over pairs (production score p, candidate score c, optional label y):
//
//   - agreement: classification, the share of pairs with p and c on the
//     same side of the threshold (score >= threshold is positive, default
//     0.5); regression, the share with |c − p| <= tolerance (default 5% of
//     the mean |p|). The task is detected as in package quality:
//     classification when every score of both sides lies in [0, 1] and every
//     label is 0 or 1.
//   - mean and p99 of |c − p| (p99: numpy's default linear interpolation).
//   - Spearman rank correlation: Pearson's r of the ranks, ties given the
//     mean of their ranks (scipy.stats.spearmanr).
//   - PSI of the candidate's score distribution against production's, with
//     the binning of package drift (and of `mlectl drift`, checked against
//     numpy/scipy): more than 20 distinct production scores → numpy's
//     "sturges" histogram edges over both samples together (last bin
//     closed); otherwise one bin per distinct value. Empty bins are filled
//     as Evidently does (min nonzero/1e6, or 1e-4), PSI = Σ (p_i − c_i)·ln(p_i/c_i).
//   - quality of each side on the labelled pairs: ROC AUC (Mann-Whitney,
//     ties one half; label > 0.5 positive) for classifiers, RMSE for
//     regressors.
//   - the top N (default 20) pairs by |c − p|, kept in a bounded min-heap.
//
// Mean |diff|, agreement, RMSE and the top N are exact in O(1) memory per
// pair; p99, Spearman, PSI and AUC need the scores and use the first
// MaxSamples (default 2^20) pairs, then a uniform reservoir sample.
//
// # Sources
//
//   - logged: production and shadow/canary records of the model logged with
//     the same request id in [from, to), paired in one time-ordered pass of
//     the prediction log with at most MaxPending (default 2^18) records
//     waiting for a partner; labels joined from the stored feedback.
//   - replay: the production records of [from, to) streamed in batches of
//     4096 rows (row-major engine.Batch, each record's features mapped by
//     name to the candidate's columns, absent/null/non-numeric → NaN,
//     i.e. missing) through the candidate model file on an engine.Backend.
//   - live: Live copies arriving production records into a bounded queue
//     (full: dropped and counted; ingest never waits); its worker scores them
//     in batches through the registered candidate whose artifact_uri is a
//     local model file and keeps the last 10,000 pairs per model. The same
//     worker pairs arriving production and shadow/canary records by request
//     id (at most 65,536 waiting per model) into a rolling window of 10,000
//     pairs per candidate version. Series of both: mle_shadow_agreement_ratio,
//     mle_shadow_abs_diff_mean, mle_shadow_abs_diff_p99, mle_shadow_spearman,
//     mle_shadow_psi, mle_shadow_rows_total, mle_shadow_dropped_total,
//     labelled model, production_version, candidate_version and
//     source="live" (scored here) or "logged" (scores the shadow logged).
package shadow
