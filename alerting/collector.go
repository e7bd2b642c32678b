package alerting

// The collector's own alerts, shipped with it: its data dir running out of
// space (see package internal/diskguard). Their runbook is
// runbooks/library/volume-full.md.
const (
	AlertCollectorDiskLow  = "CollectorDiskLow"
	AlertCollectorDiskFull = "CollectorDiskFull"
	RunbookCollectorDisk   = "volume-full"
)

// The serving-cost alert, on the series package cost writes from the
// collector's cost: block: a ticket, not a page (money, not users, is
// burning). Its runbook is runbooks/library/serving-cost-overrun.md.
const (
	AlertCostOverBudget = "CostOverBudget"
	RunbookCostOverrun  = "serving-cost-overrun"
)

// CollectorRules is the rule file of the collector's own groups, as
// Prometheus would read it (make e2e checks it with promtool).
func CollectorRules() string { return collectorRules }

// collectorFile is the rule-file name of the collector's own group.
const collectorFile = "mlectl:collector-rules"

// collectorRules alert on mle_collector_disk_free_bytes, which the
// collector writes every 15s: low under twice the reserve (time to act),
// full under the reserve (ingest answers 507 until space is freed).
const collectorRules = `groups:
  - name: mlectl-collector
    rules:
      - alert: ` + AlertCollectorDiskLow + `
        expr: mle_collector_disk_free_bytes < on (dir) (2 * mle_collector_disk_reserve_bytes)
        for: 5m
        labels:
          severity: ticket
        annotations:
          runbook: ` + RunbookCollectorDisk + `
          summary: 'Collector data dir {{ $labels.dir }} has {{ $value | humanize1024 }}B free, under twice its reserve: ingest stops at the reserve'
      - alert: ` + AlertCollectorDiskFull + `
        expr: mle_collector_disk_free_bytes < on (dir) mle_collector_disk_reserve_bytes
        labels:
          severity: page
        annotations:
          runbook: ` + RunbookCollectorDisk + `
          summary: 'Collector data dir {{ $labels.dir }} has {{ $value | humanize1024 }}B free, under its reserve: remote write and prediction ingest answer 507'
  - name: mlectl-cost
    rules:
      - alert: ` + AlertCostOverBudget + `
        expr: mle_cost_hourly > on (model) mle_cost_budget_hourly
        for: 15m
        labels:
          severity: ticket
        annotations:
          runbook: ` + RunbookCostOverrun + `
          summary: 'Model {{ $labels.model }} costs {{ $value | printf "%.2f" }} an hour, over its budget_hourly of {{ with printf "mle_cost_budget_hourly{model=%q}" $labels.model | query }}{{ . | first | value | printf "%.2f" }}{{ end }}'
`
