package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine/internal/lgbfixture"
)

// repeatLightGBMTrees writes a model.txt with the trees of modelTxt
// repeated copies times (renumbered, tree_sizes dropped), so a large model
// is built from a real one: every copy keeps its trees' class order, so
// the model stays valid for any num_class.
func repeatLightGBMTrees(modelTxt string, copies int) []byte {
	body, _, ok := strings.Cut(modelTxt, "end of trees")
	if !ok {
		panic("no end of trees")
	}
	header, trees, ok := strings.Cut(body, "\nTree=")
	if !ok {
		panic("no trees")
	}
	var blocks []string
	for _, block := range strings.Split("Tree="+trees, "\nTree=") {
		_, rest, _ := strings.Cut(block, "\n") // drop the "Tree=N" line
		blocks = append(blocks, strings.TrimRight(rest, "\n"))
	}
	var b strings.Builder
	for _, line := range strings.Split(header, "\n") {
		if !strings.HasPrefix(line, "tree_sizes=") {
			b.WriteString(line + "\n")
		}
	}
	n := 0
	for range copies {
		for _, block := range blocks {
			fmt.Fprintf(&b, "\nTree=%d\n%s\n", n, block)
			n++
		}
	}
	b.WriteString("\nend of trees\n")
	return []byte(b.String())
}

// largeLightGBMModel is a large model (the multiclass fixture, its
// missing types cycled, copies times over) as model.txt and as dump_model()
// dumps it, compact as LightGBM's C++ DumpModel writes it and indented
// as json.dump(booster.dump_model(), f, indent=1) writes it (the real
// dump of the DART fixture's layout).
func largeLightGBMModel(t testing.TB, copies int) (modelTxt, compact, indented []byte) {
	multiclass := readFixture(t, "lightgbm_multiclass", "lgmulticlass.model")
	modelTxt = repeatLightGBMTrees(lgbfixture.CycleMissingTypes(string(multiclass)), copies)
	trees, err := LoadLightGBMTrees(modelTxt)
	require.NoError(t, err)
	objective, averaged := lightGBMObjective(modelTxt)
	compact = dumpLightGBMJSON(trees, objective, averaged)
	var b bytes.Buffer
	require.NoError(t, json.Indent(&b, compact, "", " "))
	return modelTxt, compact, b.Bytes()
}

// BenchmarkLightGBMJSONLoad loads a 2,000-tree LightGBM JSON dump (the
// multiclass fixture 40 times over: compact 20 MB, indented 36 MB)
// with LoadLightGBMJSON, beside two baselines in the same run: the same
// model's model.txt with LoadLightGBM (this package's text reader) and
// encoding/json's Unmarshal of the compact dump into any (no model built
// at all). MB/s is of each reader's own file; trees/s compares the formats
// on the same model; alloc-B/file-B is the garbage per byte read.
func BenchmarkLightGBMJSONLoad(b *testing.B) {
	modelTxt, compact, indented := largeLightGBMModel(b, 40)
	all, err := LoadLightGBMTrees(modelTxt)
	require.NoError(b, err)
	trees := len(all.Trees)
	run := func(name string, data []byte, load func([]byte) error) {
		b.Run(name, func(b *testing.B) {
			require.NoError(b, load(data))
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for range b.N {
				if err := load(data); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(len(data)), "alloc-B/file-B")
			b.ReportMetric(float64(trees*b.N)/b.Elapsed().Seconds(), "trees/s")
		})
	}
	loadJSON := func(data []byte) error { _, err := LoadLightGBMJSON(data, false); return err }
	run("reader=lightgbm-json/layout=compact", compact, loadJSON)
	run("reader=lightgbm-json/layout=indented", indented, loadJSON)
	run("baseline=model.txt", modelTxt, func(data []byte) error { _, err := LoadLightGBM(data, false); return err })
	run("baseline=encoding-json-any/layout=compact", compact, func(data []byte) error {
		var v any
		return json.Unmarshal(data, &v)
	})
}
