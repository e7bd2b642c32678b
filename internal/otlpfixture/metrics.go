package otlpfixture

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
)

// Content types of OTLP/HTTP.
const (
	ContentTypeProtobuf = "application/x-protobuf"
	ContentTypeJSON     = "application/json"
)

// Metrics is a payload from one service with one instance of each kind the
// translation treats differently: a gauge with a byte unit, a gauge with
// unit "1", a monotonic cumulative sum (a counter, _total), a
// non-monotonic sum (a gauge), and an explicit-bucket histogram in
// seconds. Each carries points at the given times (cumulative values grow
// with the index). The resource has service.name, service.instance.id (job
// and instance) and two more attributes, which land on target_info.
func Metrics(times ...time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	res := rm.Resource().Attributes()
	res.PutStr("service.name", "fraud-scorer")
	res.PutStr("service.namespace", "ml")
	res.PutStr("service.instance.id", "scorer-0")
	res.PutStr("deployment.environment", "prod")
	res.PutStr("host.name", "node-7")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("mlectl.test/otlp")
	sm.Scope().SetVersion("1.0.0")

	start := pcommon.NewTimestampFromTime(times[0].Add(-time.Minute))
	mem := sm.Metrics().AppendEmpty()
	mem.SetName("process.memory.usage")
	mem.SetUnit("By")
	mem.SetDescription("Resident memory of the model server.")
	mg := mem.SetEmptyGauge()
	for i, t := range times {
		dp := mg.DataPoints().AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(t))
		dp.SetDoubleValue(512e6 + float64(i)*1e6)
	}

	util := sm.Metrics().AppendEmpty()
	util.SetName("gpu.utilization")
	util.SetUnit("1")
	g := util.SetEmptyGauge()
	for i, t := range times {
		dp := g.DataPoints().AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(t))
		dp.SetDoubleValue(0.25 + float64(i)*0.05)
		dp.Attributes().PutStr("gpu", "0")
	}

	preds := sm.Metrics().AppendEmpty()
	preds.SetName("ml.predictions")
	preds.SetUnit("{prediction}")
	sum := preds.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for _, model := range []string{"fraud", "churn"} {
		for i, t := range times {
			dp := sum.DataPoints().AppendEmpty()
			dp.SetStartTimestamp(start)
			dp.SetTimestamp(pcommon.NewTimestampFromTime(t))
			dp.SetIntValue(int64(100 * (i + 1) * len(model)))
			dp.Attributes().PutStr("ml.model.name", model)
			dp.Attributes().PutStr("ml.model.version", "v3")
		}
	}

	queue := sm.Metrics().AppendEmpty()
	queue.SetName("ml.queue.size")
	queue.SetUnit("{request}")
	qs := queue.SetEmptySum()
	qs.SetIsMonotonic(false)
	qs.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for i, t := range times {
		dp := qs.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(pcommon.NewTimestampFromTime(t))
		dp.SetIntValue(int64(7 - i))
	}

	lat := sm.Metrics().AppendEmpty()
	lat.SetName("ml.inference.duration")
	lat.SetUnit("s")
	h := lat.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for i, t := range times {
		dp := h.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(pcommon.NewTimestampFromTime(t))
		dp.ExplicitBounds().FromRaw([]float64{0.005, 0.01, 0.05, 0.1})
		n := uint64(i + 1)
		dp.BucketCounts().FromRaw([]uint64{2 * n, 5 * n, 9 * n, 3 * n, 1 * n})
		dp.SetCount(20 * n)
		dp.SetSum(0.4 * float64(n))
		dp.Attributes().PutStr("ml.model.name", "fraud")
	}
	return md
}

// Protobuf is md as an OTLP/HTTP protobuf body.
func Protobuf(md pmetric.Metrics) ([]byte, error) {
	return pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
}

// JSON is md as an OTLP/HTTP JSON body.
func JSON(md pmetric.Metrics) ([]byte, error) {
	return pmetricotlp.NewExportRequestFromMetrics(md).MarshalJSON()
}
