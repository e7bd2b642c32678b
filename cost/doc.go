// Package cost turns the collector's traffic and replica series into the
// serving cost of each model, from the prices in the `cost:` block of the
// collector configuration:
//
//	cost:
//	  rate_window: 5m                 # traffic = rate(mle_predictions_total[rate_window])
//	  models:
//	    fraud:
//	      price_per_replica_hour: 0.34
//	      price_per_gpu_hour: 2.48
//	      gpus_per_replica: 1
//	      replicas: 3                 # a fixed count, or a PromQL expression:
//	      budget_hourly: 12           # CostOverBudget (ticket) above it
//	      versions:                   # optional: one fleet per version
//	        v13: {replicas: 'kube_deployment_status_replicas{deployment="fraud-v13"}'}
//	    chat:
//	      price_per_1k_tokens: 0.002
//	      tokens_per_second: 'sum(rate(vllm:generation_tokens_total{model_name="chat"}[5m]))'
//
// The hourly cost of a fleet is replicas × price_per_replica_hour +
// replicas × gpus_per_replica × price_per_gpu_hour + tokens_per_second ×
// 3.6 × price_per_1k_tokens. A model without versions is one fleet for all
// its versions; with versions, each listed version is its own fleet and
// inherits the prices, replicas and tokens it does not set from the model.
// Every series interval the collector writes
//
//	mle_cost_hourly{model}                      sum of the model's fleets
//	mle_cost_per_1k_predictions{model,version}  fleet cost per hour / (predictions per hour / 1000)
//	mle_cost_budget_hourly{model}               budget_hourly, for the CostOverBudget rule
//
// A model-wide fleet's cost per 1k predictions is the same for each of
// the versions that served in the rate window. A fleet whose replica or
// token expression returns nothing has no cost (no sample, not 0); a
// version with no traffic has no cost per prediction. Prices must be
// finite and not negative, expressions valid PromQL: ParseConfig refuses
// anything else naming the field, and the collector refuses a model it
// does not know (CheckModels).
package cost
