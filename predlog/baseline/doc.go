// Package baseline owns training profiles: what a model version's training
// data looked like, feature by feature, stored by `mlectl baseline import`
// and used as the reference of training/serving skew and as the source of a
// learned data contract.
//
// A numerical feature keeps count, missing count, min, max, mean, standard
// deviation, the deciles and an order-statistic sample of at most
// MaxSample values (every k-th value of the sorted column, so the sample
// is itself a quantile summary with rank error below 1/MaxSample). A
// categorical feature keeps every category with its count.
//
// A training set is a CSV file (drift.ParseCSV, then FromFrame) or a
// Parquet file (ProfileParquet, parquet-go). Both compute every statistic
// through numeric — an exact, order-independent sum for the mean and
// deviation, an exact multi-pass selection for the order statistics — so
// the same table in either format gives a byte-identical profile, while
// the Parquet path re-reads column chunks instead of keeping the values
// and needs memory independent of the number of rows.
package baseline
