package quality

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/predlog"
)

const t0 = int64(1_795_687_200_000)

func rec(id string, ms int64, p predlog.Prediction) predlog.Record {
	return predlog.Record{Model: "fraud", Version: "v7", Role: predlog.RoleProduction, Status: predlog.StatusOK, RequestID: id, TS: t0 + ms, Prediction: p}
}

func score(f float64) predlog.Prediction { return predlog.Prediction{Value: predlog.Float(f)} }

func TestJoinBinaryScores(t *testing.T) {
	j := NewJoiner(Options{})
	scores := []float64{0.1, 0.4, 0.35, 0.8, 0.9}
	var recs []predlog.Record
	for i, s := range scores {
		recs = append(recs, rec(fmt.Sprint("r", i), int64(i)*1000, score(s)))
	}
	// A failed prediction and one without a request id never join.
	recs = append(recs, predlog.Record{Model: "fraud", Version: "v7", Role: "production", Status: "error", RequestID: "bad", TS: t0, Prediction: score(0.5)})
	j.ObserveRecords(recs)
	// A label that arrives before its prediction waits for it.
	assert.False(t, j.AddLabel(Label{RequestID: "r9", Value: predlog.Float(1), TS: t0 + 100}))
	j.ObserveRecords([]predlog.Record{rec("r9", 0, score(0.7))})

	labels := []float64{0, 0, 1, 1}
	for i, l := range labels {
		// Label i arrives (i+1) minutes after its prediction.
		assert.True(t, j.AddLabel(Label{RequestID: fmt.Sprint("r", i), Value: predlog.Float(l), TS: t0 + int64(i)*1000 + int64(i+1)*60_000}))
	}
	// Beyond the horizon: not joined.
	assert.False(t, j.AddLabel(Label{RequestID: "r4", Value: predlog.Float(1), TS: t0 + 4000 + DefaultHorizon.Milliseconds() + 1}))
	assert.False(t, j.AddLabel(Label{RequestID: "bad", Value: predlog.Float(1), TS: t0}))

	q := j.Snapshot()[[3]string{"fraud", "v7", "production"}]
	require.True(t, q.Classification)
	assert.Equal(t, 5, q.Pairs)
	// Pairs: (0.1,0) (0.4,0) (0.35,1) (0.8,1) (0.7,1); threshold 0.5.
	// Predicted 0,0,0,1,1 vs true 0,0,1,1,1: accuracy 4/5, precision 1,
	// recall 2/3, F1 0.8; AUC: positives {.35,.8,.7} vs negatives {.1,.4}:
	// wins 1+2+2 = 5 of 6.
	assert.InDelta(t, 0.8, q.Accuracy, 1e-12)
	assert.InDelta(t, 1.0, q.Precision, 1e-12)
	assert.InDelta(t, 2.0/3, q.Recall, 1e-12)
	assert.InDelta(t, 0.8, q.F1, 1e-12)
	assert.InDelta(t, 5.0/6, q.ROCAUC, 1e-12)
	want := -(math.Log(0.9) + math.Log(0.6) + math.Log(0.35) + math.Log(0.8) + math.Log(0.7)) / 5
	assert.InDelta(t, want, q.LogLoss, 1e-12)
	// Lags: 60, 120, 180, 240 s and 0.1 s for the early label.
	assert.InDelta(t, (60+120+180+240+0.1)/5, q.MeanLagSeconds, 1e-9)
	// 6 joinable predictions (5 scores + r9), 5 labelled.
	assert.InDelta(t, 5.0/6, q.Coverage, 1e-12)
	assert.True(t, math.IsNaN(q.MAE))
}

func TestJoinRegressionAndMultiClass(t *testing.T) {
	j := NewJoiner(Options{})
	y, yh := []float64{3, -0.5, 2, 7}, []float64{2.5, 0.0, 2, 8}
	for i := range y {
		r := rec(fmt.Sprint("g", i), 0, score(yh[i]))
		r.Model = "price"
		j.ObserveRecords([]predlog.Record{r})
		j.AddLabel(Label{RequestID: fmt.Sprint("g", i), Value: predlog.Float(y[i]), TS: t0})
	}
	q := j.Snapshot()[[3]string{"price", "v7", "production"}]
	assert.False(t, q.Classification)
	assert.InDelta(t, 0.5, q.MAE, 1e-15)
	assert.InDelta(t, 0.6123724356957945, q.RMSE, 1e-15)
	assert.InDelta(t, 0.3273809523809524, q.MAPE, 1e-15)

	// The log_loss example of sklearn's docs as class-score predictions.
	j = NewJoiner(Options{})
	truth := []string{"spam", "ham", "ham", "spam"}
	probs := [][2]float64{{.1, .9}, {.9, .1}, {.8, .2}, {.35, .65}}
	for i := range truth {
		p := predlog.Prediction{Scores: []predlog.Score{{Class: "ham", Value: predlog.Float(probs[i][0])}, {Class: "spam", Value: predlog.Float(probs[i][1])}}}
		j.ObserveRecords([]predlog.Record{rec(fmt.Sprint("s", i), 0, p)})
		j.AddLabel(Label{RequestID: fmt.Sprint("s", i), Value: predlog.String(truth[i]), TS: t0})
	}
	q = j.Snapshot()[[3]string{"fraud", "v7", "production"}]
	assert.True(t, q.Classification)
	assert.InDelta(t, 0.21616187468057912, q.LogLoss, 1e-12)
	assert.Equal(t, 1.0, q.Accuracy)
	assert.Equal(t, 1.0, q.ROCAUC)
}

func TestWindowAndEviction(t *testing.T) {
	j := NewJoiner(Options{Window: 3, MaxPending: 2})
	for i := range 5 {
		j.ObserveRecords([]predlog.Record{rec(fmt.Sprint("w", i), int64(i), score(0.9))})
	}
	// Only the 2 newest predictions still wait.
	assert.False(t, j.AddLabel(Label{RequestID: "w0", Value: predlog.Float(1), TS: t0}))
	for i := 3; i < 5; i++ {
		assert.True(t, j.AddLabel(Label{RequestID: fmt.Sprint("w", i), Value: predlog.Float(1), TS: t0 + 10}))
	}
	q := j.Snapshot()[[3]string{"fraud", "v7", "production"}]
	assert.Equal(t, 2, q.Pairs)
	j.Expire(time.UnixMilli(t0).Add(DefaultHorizon + time.Hour))
	j.mu.Lock()
	assert.Empty(t, j.preds)
	assert.Empty(t, j.labels)
	j.mu.Unlock()
}
