package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mlectl/mlectl/contract"
	"github.com/mlectl/mlectl/mlmetrics"
	"github.com/mlectl/mlectl/predlog/skew"
	"github.com/mlectl/mlectl/predlog/store"
	"github.com/mlectl/mlectl/quality"
)

// benchBodies builds n NDJSON bodies of perBody records with 20 features
// shaped like the adult and bike-sharing tables: integers (age, hours,
// counts), 2- and 4-decimal measurements, a mostly-zero amount, six
// categorical columns; unique request ids, a few ms between records.
func benchBodies(n, perBody int) (bodies [][]byte, raw int) {
	rng := rand.New(rand.NewPCG(1, 2))
	work := []string{"Private", "Self-emp-not-inc", "Local-gov", "State-gov", "Federal-gov"}
	edu := []string{"HS-grad", "Some-college", "Bachelors", "Masters", "Assoc-voc", "11th", "Doctorate"}
	marital := []string{"Married-civ-spouse", "Never-married", "Divorced", "Separated", "Widowed"}
	occ := []string{"Prof-specialty", "Craft-repair", "Exec-managerial", "Adm-clerical", "Sales", "Other-service"}
	sex := []string{"Male", "Female"}
	season := []string{"spring", "summer", "fall", "winter"}
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	ts := int64(1795687200000)
	id := 0
	for range n {
		var buf bytes.Buffer
		for range perBody {
			ts += int64(rng.IntN(5))
			id++
			gain := 0
			if rng.IntN(12) == 0 {
				gain = rng.IntN(20000)
			}
			fmt.Fprintf(&buf, `{"model":"fraud","version":"v7","role":"production","request_id":"req-%08d","ts":%d,"latency_ms":%.1f,`+
				`"features":{"age":%d,"fnlwgt":%d,"education_num":%d,"capital_gain":%d,"capital_loss":%d,"hours_per_week":%d,`+
				`"temp":%.2f,"atemp":%.4f,"hum":%.2f,"windspeed":%.4f,"casual":%d,"registered":%d,"hr":%d,"amount":%.2f,`+
				`"workclass":%q,"education":%q,"marital_status":%q,"occupation":%q,"sex":%q,"season":%q},"prediction":%.4f,"status":"ok"}`+"\n",
				id, ts, 2+rng.ExpFloat64()*8, 17+rng.IntN(73), 20000+rng.IntN(1400000), 1+rng.IntN(16), gain, 0, 20+rng.IntN(50),
				rng.Float64(), rng.Float64(), rng.Float64(), rng.Float64()*0.8, rng.IntN(300), rng.IntN(800), rng.IntN(24), rng.ExpFloat64()*80,
				pick(work), pick(edu), pick(marital), pick(occ), pick(sex), pick(season), rng.Float64())
		}
		raw += buf.Len()
		bodies = append(bodies, buf.Bytes())
	}
	return bodies, raw
}

// BenchmarkPredictionIngest posts NDJSON bodies of 1000 records over
// loopback HTTP from two concurrent clients; one op is 32 bodies (32000
// records), so even `-benchtime 1x` measures a real stream.
// "baseline_http_discard" is the same HTTP traffic into a handler that only
// reads the body: the cost of the transport alone. "ingest" decodes, stores
// durably in badger, and feeds the traffic aggregator, the contract checker
// (a contract on all 20 features) and the label joiner;
// "ingest_with_drift_sketches" also keeps the streaming drift sketches of
// every feature (package skew). Metrics: records/s; the stored bytes per
// record (badger keys and values) against the raw NDJSON; the process CPU
// time per record (clients included), which is steadier than records/s
// when other work shares the machine.
func BenchmarkPredictionIngest(b *testing.B) {
	const perBody, nBodies, clients = 1000, 32, 2
	bodies, raw := benchBodies(nBodies, perBody)
	rawPerRecord := float64(raw) / float64(nBodies*perBody)

	post := func(b *testing.B, url string) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
		defer client.CloseIdleConnections()
		b.ResetTimer()
		start, cpu0 := time.Now(), processCPU()
		for range b.N {
			var wg sync.WaitGroup
			var failed atomic.Bool
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := c; i < len(bodies); i += clients {
						resp, err := client.Post(url, "application/x-ndjson", bytes.NewReader(bodies[i]))
						if err != nil {
							b.Error(err)
							failed.Store(true)
							return
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							b.Errorf("status %d", resp.StatusCode)
							failed.Store(true)
							return
						}
					}
				}()
			}
			wg.Wait()
			if failed.Load() {
				return
			}
		}
		b.StopTimer()
		records := float64(b.N * nBodies * perBody)
		b.ReportMetric(records/time.Since(start).Seconds(), "records/s")
		// CPU time per record (server, clients and GC of this process) is
		// the figure that holds up on a machine shared with other work.
		b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/records, "cpu_µs/record")
		b.ReportMetric(rawPerRecord, "raw_bytes/record")
	}

	b.Run("baseline_http_discard", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusOK)
		}))
		defer srv.Close()
		post(b, srv.URL)
	})

	for _, sketches := range []bool{false, true} {
		name := "ingest"
		if sketches {
			name = "ingest_with_drift_sketches"
		}
		b.Run(name, func(b *testing.B) { benchIngest(b, sketches, rawPerRecord, post) })
	}
}

func benchIngest(b *testing.B, sketches bool, rawPerRecord float64, post func(*testing.B, string)) {
	{
		lg, err := store.Open(b.TempDir(), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer lg.Close()
		checker := contract.NewChecker()
		c, err := contract.ParseBytes([]byte(benchContract))
		if err != nil {
			b.Fatal(err)
		}
		if err := checker.Set(c); err != nil {
			b.Fatal(err)
		}
		cfg := Config{Log: lg, Traffic: mlmetrics.NewAggregator(), Contracts: checker,
			Joiner: quality.NewJoiner(quality.Options{MaxPending: 100_000})}
		if sketches {
			tr := skew.New(skew.Options{})
			cfg.Observers, cfg.Series, cfg.Baselines = []Observer{tr}, []SeriesWriter{tr}, []BaselineSink{tr}
		}
		h, err := New(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(h)
		defer srv.Close()
		post(b, srv.URL+"/api/v1/predictions")
		st := lg.Stats()
		b.ReportMetric(float64(st.StoredBytes)/float64(st.Records), "stored_bytes/record")
		b.ReportMetric(float64(st.StoredBytes)/float64(st.Records)/rawPerRecord, "stored/raw")
	}
}

const benchContract = `
model: fraud
features:
  age: {type: numerical, min: 17, max: 90}
  fnlwgt: {type: numerical, min: 0}
  education_num: {type: numerical, min: 1, max: 16}
  capital_gain: {type: numerical, min: 0}
  capital_loss: {type: numerical, min: 0}
  hours_per_week: {type: numerical, min: 1, max: 99}
  temp: {type: numerical, min: 0, max: 1}
  atemp: {type: numerical, min: 0, max: 1}
  hum: {type: numerical, min: 0, max: 1}
  windspeed: {type: numerical, min: 0, max: 1}
  casual: {type: numerical, min: 0}
  registered: {type: numerical, min: 0}
  hr: {type: numerical, min: 0, max: 23}
  amount: {type: numerical, min: 0}
  workclass: {type: categorical, categories: [Private, Self-emp-not-inc, Local-gov, State-gov, Federal-gov]}
  education: {type: categorical, categories: [HS-grad, Some-college, Bachelors, Masters, Assoc-voc, 11th, Doctorate]}
  marital_status: {type: categorical}
  occupation: {type: categorical}
  sex: {type: categorical, categories: [Male, Female]}
  season: {type: categorical, categories: [spring, summer, fall, winter]}
`
