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
// A training set is a CSV file (drift.ParseCSV) or a Parquet file
// (ReadParquet, parquet-go), read into the same drift.Frame, so the same
// table in either format gives a byte-identical profile.
package baseline
