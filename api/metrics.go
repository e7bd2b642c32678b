package api

// The mle_* series the collector writes. Server packages define their
// Metric* constants from these; the console builds its queries from them.
// A series name is part of the API: dashboards, alert rules and SLOs in the
// field query it by name.
const (
	// Serving (mlmetrics: aggregated from prediction logs).
	MetricPredictionsTotal          = "mle_predictions_total"
	MetricInferenceLatencyBucket    = "mle_inference_latency_seconds_bucket"
	MetricInferenceLatencySum       = "mle_inference_latency_seconds_sum"
	MetricInferenceLatencyCount     = "mle_inference_latency_seconds_count"
	MetricSchemaViolationsTotal     = "mle_schema_violations_total"
	MetricCollectorDiskFreeBytes    = "mle_collector_disk_free_bytes"
	MetricCollectorDiskReserveBytes = "mle_collector_disk_reserve_bytes"

	// Drift (predlog/skew).
	MetricFeatureDriftScore    = "mle_feature_drift_score"
	MetricFeatureDrifted       = "mle_feature_drifted"
	MetricDatasetDriftShare    = "mle_dataset_drift_share"
	MetricPredictionDriftScore = "mle_prediction_drift_score"

	// Explanations and feature freshness (predlog/sli).
	MetricFeatureAttributionMeanAbs = "mle_feature_attribution_mean_abs"
	MetricFeatureAttributionChange  = "mle_feature_attribution_change"
	MetricExplanationCoverageRatio  = "mle_explanation_coverage_ratio"
	MetricFeatureFreshnessSeconds   = "mle_feature_freshness_seconds"

	// Quality against ground truth (quality). Every model quality series
	// starts with MetricModelQualityPrefix.
	MetricModelQualityPrefix = "mle_model_"
	MetricModelAccuracy      = "mle_model_accuracy"
	MetricModelPrecision     = "mle_model_precision"
	MetricModelRecall        = "mle_model_recall"
	MetricModelF1            = "mle_model_f1"
	MetricModelROCAUC        = "mle_model_roc_auc"
	MetricModelLogLoss       = "mle_model_log_loss"
	MetricModelMAE           = "mle_model_mae"
	MetricModelRMSE          = "mle_model_rmse"
	MetricModelMAPE          = "mle_model_mape"
	MetricLabelLagSeconds    = "mle_label_lag_seconds"
	MetricLabelCoverageRatio = "mle_label_coverage_ratio"
	// MetricQualityWindowPairs is how many joined prediction/label pairs
	// the quality series of a version are computed over (the window the
	// console's overview names beside them).
	MetricQualityWindowPairs = "mle_quality_window_pairs"

	// Shadow comparison (shadow).
	MetricShadowAgreementRatio = "mle_shadow_agreement_ratio"
	MetricShadowAbsDiffMean    = "mle_shadow_abs_diff_mean"
	MetricShadowAbsDiffP99     = "mle_shadow_abs_diff_p99"
	MetricShadowSpearman       = "mle_shadow_spearman"
	MetricShadowPSI            = "mle_shadow_psi"
	MetricShadowRowsTotal      = "mle_shadow_rows_total"
	MetricShadowDroppedTotal   = "mle_shadow_dropped_total"

	// Delivery (package delivery: counted from the event log, rebuilt
	// from it at start, so they continue across restarts).
	MetricDeploymentsTotal = "mle_deployments_total"
	MetricRollbacksTotal   = "mle_rollbacks_total"
	// Deploys and rollbacks of the last 7 days per model (gauges from the
	// event log): the overview's deploys per week. increase() over the
	// counters above cannot give it: each version's deploy counter is a new
	// series that starts at 1, and increase() takes a first sample as base.
	MetricDeploymentsLastWeek   = "mle_deployments_last_7d"
	MetricRollbacksLastWeek     = "mle_rollbacks_last_7d"
	MetricChangeFailureRatio    = "mle_change_failure_ratio"
	MetricTimeToRestoreSeconds  = "mle_time_to_restore_seconds"
	MetricMeanTimeToRestore     = "mle_mean_time_to_restore_seconds"
	MetricDeliveryPeriodSeconds = "mle_delivery_period_seconds"

	// Serving cost (package cost) and training runs (package training).
	MetricCostPer1kPredictions = "mle_cost_per_1k_predictions"
	MetricCostHourly           = "mle_cost_hourly"
	MetricCostBudgetHourly     = "mle_cost_budget_hourly"
	MetricTrainingRunsTotal    = "mle_training_runs_total"
	MetricTrainingCostTotal    = "mle_training_cost_total"

	// Scoring engine (engine/gpu), on the collector's /metrics: batches a
	// device failed on and the CPU scored instead, by backend.
	MetricEngineFallbacksTotal = "mle_engine_fallbacks_total"

	// Cluster directory (cluster): each collector announces itself
	// (mle_collector_info{collector,url}) and the models it owns
	// (mle_model_owner{model,collector}), value 1, every cluster.refresh.
	MetricCollectorInfo = "mle_collector_info"
	MetricModelOwner    = "mle_model_owner"

	// Forwarding to the metrics backend (remotestore, storage.metrics:
	// remote), on the collector's /metrics: the durable queue's lag and
	// the remote-write requests behind it.
	MetricForwardPendingSamples       = "mle_forward_pending_samples"
	MetricForwardOldestPendingSeconds = "mle_forward_oldest_pending_seconds"
	MetricForwardSentSamplesTotal     = "mle_forward_sent_samples_total"
	MetricForwardFailedSamplesTotal   = "mle_forward_failed_samples_total"
	MetricForwardRetriesTotal         = "mle_forward_retries_total"
	MetricForwardSentBytesTotal       = "mle_forward_sent_bytes_total"
	MetricForwardSendDurationSeconds  = "mle_forward_send_duration_seconds"
)

// DefaultDriftThreshold is the drift score at or above which a feature
// counts as drifted when the collector's configuration sets none.
const DefaultDriftThreshold = 0.1
