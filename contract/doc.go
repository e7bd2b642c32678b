// Package contract owns data contracts: per model (and optionally per
// version) the schema its inputs must follow — each feature numerical or
// categorical, a range, the allowed categories, whether it may be null and
// how often — written in YAML or learned from a training profile.
//
// A Checker applies the contracts to every logged record and counts each
// violation in mle_schema_violations_total{model,version,feature,kind};
// nothing is dropped. Kinds:
//
//	unknown_feature  a feature the contract does not name (unless allow_unknown)
//	missing          a non-nullable feature absent from the record
//	null             a non-nullable feature sent as null
//	wrong_type       a number for a categorical feature or text for a numerical one
//	non_finite       "NaN"/"Inf" text for a numerical feature (JSON has no NaN)
//	out_of_range     a number outside [min, max]
//	unseen_category  a category not in the allowed list
//	null_rate        a flush interval in which the null-or-missing share of a
//	                 feature exceeded max_null_rate (counted once per interval)
//
// Models without a contract are accepted: their records are stored and
// counted in the traffic series, and no violation is counted for them.
package contract
