package tsdb

import (
	"github.com/prometheus/prometheus/tsdb/chunkenc"
)

// setHistogramHints gives histogram samples the counter-reset hints that
// Prometheus's own TSDB reports for the same data: each run of histograms
// is encoded into chunkenc histogram chunks, cut exactly where Prometheus's
// head would cut them (counter resets, layout or gauge/counter changes), and
// read back. The first sample of each chunk then says "unknown", later ones
// "not reset" (or "gauge"), and PromQL sees what it sees on Prometheus.
func setHistogramHints(samples []sample) {
	for i := 0; i < len(samples); {
		isInt := samples[i].h != nil
		if !isInt && samples[i].fh == nil {
			i++
			continue
		}
		j := i + 1
		for j < len(samples) && (samples[j].h != nil) == isInt && (isInt || samples[j].fh != nil) {
			j++
		}
		hintRun(samples[i:j], isInt)
		i = j
	}
}

// hintRun sets the hints of one run of integer (isInt) or float histograms.
func hintRun(run []sample, isInt bool) {
	c := chunkenc.Chunk(chunkenc.NewFloatHistogramChunk())
	if isInt {
		c = chunkenc.NewHistogramChunk()
	}
	app, _ := c.Appender()
	chks := []chunkenc.Chunk{c}
	for i := range run {
		var (
			nc      chunkenc.Chunk
			recoded bool
			err     error
		)
		if isInt {
			nc, recoded, app, err = app.AppendHistogram(nil, run[i].st, run[i].t, run[i].h.Copy(), false)
		} else {
			nc, recoded, app, err = app.AppendFloatHistogram(nil, run[i].st, run[i].t, run[i].fh.Copy(), false)
		}
		if err != nil {
			return
		}
		if nc != nil {
			if recoded {
				chks[len(chks)-1] = nc
			} else {
				chks = append(chks, nc)
			}
		}
	}
	k := 0
	var it chunkenc.Iterator
	for _, c := range chks {
		it = c.Iterator(it)
		for it.Next() != chunkenc.ValNone && k < len(run) {
			// Copies are shallow: the stored histogram is shared with the head.
			if isInt {
				_, h := it.AtHistogram(nil)
				hc := *run[k].h
				hc.CounterResetHint = h.CounterResetHint
				run[k].h = &hc
			} else {
				_, fh := it.AtFloatHistogram(nil)
				fc := *run[k].fh
				fc.CounterResetHint = fh.CounterResetHint
				run[k].fh = &fc
			}
			k++
		}
	}
}
