package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mlectl/mlectl/engine/explain"
	"github.com/mlectl/mlectl/engine/gpu"
	"github.com/mlectl/mlectl/engine/model"
)

const explainBackendFlagHelp = "backend for the contributions: cpu, auto (a CUDA GPU, else an OpenCL GPU, else cpu), opencl (any OpenCL device, POCL included) or cuda (an NVIDIA GPU; its kernel is untested)"

// explainBatchRows is how many rows go to the explainer per call: a batch
// a device fails on is explained again on the CPU, so a device error costs
// one batch, not the run.
const explainBatchRows = 1 << 16

// explainer picks where the contributions are computed (gpu.SelectExplainer)
// and says on stderr which backend and device and, for auto, why. done
// reports the batches a device failed on (explained again on the CPU) and
// releases the device.
func explainer(name string, f *explain.Forest, threads int, stderr io.Writer) (e gpu.Explainer, done func(), err error) {
	if err := gpu.ParseBackend(name); err != nil {
		return nil, nil, usagef("--backend: %v", err)
	}
	sel, err := gpu.SelectExplainer(name, f, gpu.ExplainSelectOptions{AllowCPU: true, Workers: threads})
	if err != nil {
		return nil, nil, usagef("--backend %s: %v", name, err)
	}
	fmt.Fprintf(stderr, "mlectl: backend %s\n", sel.Reason)
	done = func() {
		if fb, ok := sel.Explainer.(*gpu.ExplainFallback); ok && fb.Fallbacks() > 0 {
			fmt.Fprintf(stderr, "mlectl: %d batches failed on the %s device and were explained on the CPU (last error: %v)\n", fb.Fallbacks(), fb.Name, fb.LastError())
		}
		_ = sel.Close()
	}
	return sel.Explainer, done, nil
}

const shadowExplainUsage = `usage: mlectl shadow explain --model FILE --input FILE [--output FILE] [flags]

Writes, for every input row, the contribution of each feature to the model's
raw margin (exact TreeSHAP, as XGBoost's predict(pred_contribs=True)) as CSV:
a header of the feature names then "bias", one row per input row. The
contributions of a row plus its bias add up to the row's raw margin.
Multi-class models get one block of columns per class ("class<k>:<name>").

flags:
`

func runShadowExplain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("shadow explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, shadowExplainUsage)
		fs.PrintDefaults()
	}
	var (
		modelPath   = fs.String("model", "", "model `file`: XGBoost JSON, UBJSON or binary (binf or pre-1.0), or LightGBM text")
		formatName  = fs.String("format", "", "model format: xgboost-json, xgboost-ubj, xgboost, lightgbm (default: detect by content)")
		inputPath   = fs.String("input", "", "input `file` of rows to explain: CSV/TSV (optional header of feature names) or libsvm; - for stdin")
		inputFormat = fs.String("input-format", "", "input format: csv, tsv, libsvm (default: by extension, then by content)")
		outputPath  = fs.String("output", "-", "where to write the contributions CSV; - for stdout")
		labelColumn = fs.Int("label-column", -1, "0-based CSV/TSV column holding a label, dropped before explaining")
		threads     = fs.Int("threads", 0, "goroutines (default: all cores)")
		backendName = fs.String("backend", "cpu", explainBackendFlagHelp)
	)
	helped, err := parseModelInputFlags(fs, args, modelPath, inputPath)
	if helped || err != nil {
		return err
	}
	format, inFormat, err := parseShadowFormats(*formatName, *inputFormat)
	if err != nil {
		return err
	}
	if err := gpu.ParseBackend(*backendName); err != nil {
		return usagef("--backend: %v", err)
	}
	data, err := os.ReadFile(*modelPath)
	if err != nil {
		return usagef("reading model: %v", err)
	}
	if format == model.FormatAuto {
		format = model.Detect(data)
		fmt.Fprintf(stderr, "mlectl: %s: detected format %s\n", *modelPath, model.Describe(data, format))
	}
	forest, err := explain.Load(data, format)
	if err != nil {
		return usagef("loading model %s: %v", *modelPath, err)
	}

	batch, err := readShadowInput(*inputPath, inFormat, *labelColumn, forest, "explain")
	if err != nil {
		return err
	}
	e, done, err := explainer(*backendName, forest, *threads, stderr)
	if err != nil {
		return err
	}
	defer done()
	out := make([]float64, batch.Rows*forest.Width())
	width := forest.Width()
	for lo := 0; lo < batch.Rows; lo += explainBatchRows {
		hi := min(lo+explainBatchRows, batch.Rows)
		if err := e.Explain(ctx, forest, batch.Slice(lo, hi), out[lo*width:hi*width]); err != nil {
			return fmt.Errorf("explaining %s: %w", *inputPath, err)
		}
	}
	return writeContributions(*outputPath, stdout, contributionHeader(forest), out)
}

// contributionHeader names the columns: features (f0, f1, … when the model
// has no names) then bias, per class for multi-class models.
func contributionHeader(f *explain.Forest) []string {
	names := f.FeatureNames()
	if len(names) != f.NumFeatures() {
		names = make([]string, f.NumFeatures())
		for i := range names {
			names[i] = "f" + strconv.Itoa(i)
		}
	}
	names = append(append([]string(nil), names...), "bias")
	if f.NumGroups() == 1 {
		return names
	}
	var header []string
	for g := 0; g < f.NumGroups(); g++ {
		for _, n := range names {
			header = append(header, "class"+strconv.Itoa(g)+":"+n)
		}
	}
	return header
}

// writeContributions writes the CSV next to its destination and renames it
// into place, so a failed run never leaves a truncated file behind.
func writeContributions(path string, stdout io.Writer, header []string, out []float64) error {
	write := func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		line := make([]byte, 0, 24*len(header))
		for i, h := range header {
			if i > 0 {
				line = append(line, ',')
			}
			line = append(line, h...)
		}
		bw.Write(append(line, '\n'))
		for r := 0; r < len(out); r += len(header) {
			line = line[:0]
			for k, v := range out[r : r+len(header)] {
				if k > 0 {
					line = append(line, ',')
				}
				line = strconv.AppendFloat(line, v, 'g', -1, 64)
			}
			bw.Write(append(line, '\n'))
		}
		return bw.Flush()
	}
	if path == "-" || path == "" {
		return write(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing contributions: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing contributions to %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing contributions to %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing contributions to %s: %w", path, err)
	}
	return nil
}
