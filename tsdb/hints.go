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
		switch {
		case samples[i].h != nil:
			j := i + 1
			for j < len(samples) && samples[j].h != nil {
				j++
			}
			hintIntRun(samples[i:j])
			i = j
		case samples[i].fh != nil:
			j := i + 1
			for j < len(samples) && samples[j].fh != nil {
				j++
			}
			hintFloatRun(samples[i:j])
			i = j
		default:
			i++
		}
	}
}

func hintIntRun(run []sample) {
	var (
		chks []chunkenc.Chunk
		app  chunkenc.Appender
		c    chunkenc.Chunk = chunkenc.NewHistogramChunk()
	)
	app, _ = c.Appender()
	chks = append(chks, c)
	for i := range run {
		nc, recoded, napp, err := app.AppendHistogram(nil, run[i].st, run[i].t, run[i].h.Copy(), false)
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
		app = napp
	}
	k := 0
	var it chunkenc.Iterator
	for _, c := range chks {
		it = c.Iterator(it)
		for it.Next() != chunkenc.ValNone && k < len(run) {
			_, h := it.AtHistogram(nil)
			hc := *run[k].h // shallow: the stored histogram is shared with the head
			hc.CounterResetHint = h.CounterResetHint
			run[k].h = &hc
			k++
		}
	}
}

func hintFloatRun(run []sample) {
	var (
		chks []chunkenc.Chunk
		app  chunkenc.Appender
		c    chunkenc.Chunk = chunkenc.NewFloatHistogramChunk()
	)
	app, _ = c.Appender()
	chks = append(chks, c)
	for i := range run {
		nc, recoded, napp, err := app.AppendFloatHistogram(nil, run[i].st, run[i].t, run[i].fh.Copy(), false)
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
		app = napp
	}
	k := 0
	var it chunkenc.Iterator
	for _, c := range chks {
		it = c.Iterator(it)
		for it.Next() != chunkenc.ValNone && k < len(run) {
			_, fh := it.AtFloatHistogram(nil)
			fc := *run[k].fh
			fc.CounterResetHint = fh.CounterResetHint
			run[k].fh = &fc
			k++
		}
	}
}
