package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/dataset"
	"github.com/mlectl/mlectl/engine/model"
)

const shadowUsage = `usage: mlectl shadow score --model FILE --input FILE [--output FILE] [flags]

Scores every input row through a tree-ensemble model and writes one
prediction a line (multi-output models: comma-separated values per line).

flags:
`

func runShadow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if done, err := groupHelp(args, stdout, "usage: mlectl shadow score|report|replay|explain [flags]  (see mlectl shadow SUBCOMMAND --help)\n",
		"score, report, replay or explain"); done {
		return err
	}
	switch args[0] {
	case "score":
		return runShadowScore(ctx, args[1:], stdout, stderr)
	case "report":
		return runShadowReport(ctx, args[1:], stdout, stderr)
	case "replay":
		return runShadowReplay(ctx, args[1:], stdout, stderr)
	case "explain":
		return runShadowExplain(ctx, args[1:], stdout, stderr)
	}
	return usagef("unknown shadow subcommand %q (want: score, report, replay or explain)", args[0])
}

// absentValuer is implemented by models that know what an absent sparse
// entry means to them (missing for XGBoost, zero for LightGBM).
type absentValuer interface{ AbsentValue() float64 }

// featureNamer is implemented by models that carry their feature names.
type featureNamer interface{ FeatureNames() []string }

func runShadowScore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("shadow score", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, shadowUsage)
		fs.PrintDefaults()
	}
	var (
		modelPath   = fs.String("model", "", "model `file`: XGBoost JSON, UBJSON or binary (binf, legacy), LightGBM text or JSON")
		formatName  = fs.String("format", "", "model format: xgboost-json, xgboost-ubj, xgboost (binary), lightgbm, lightgbm-json (default: detect by content)")
		inputPath   = fs.String("input", "", "input `file` of rows to score: CSV/TSV (optional header of feature names) or libsvm; - for stdin")
		inputFormat = fs.String("input-format", "", "input format: csv, tsv, libsvm (default: by extension, then by content)")
		outputPath  = fs.String("output", "-", "where to write predictions, one line per row; - for stdout")
		raw         = fs.Bool("raw", false, "write raw margins instead of transformed predictions (probabilities)")
		labelColumn = fs.Int("label-column", -1, "0-based CSV/TSV column holding a label, dropped before scoring")
		threads     = fs.Int("threads", 0, "scoring goroutines (default: all cores)")
		backendName = fs.String("backend", "cpu", backendFlagHelp)
	)
	helped, err := parseModelInputFlags(fs, args, modelPath, inputPath)
	if helped || err != nil {
		return err
	}
	format, inFormat, err := parseShadowFormats(*formatName, *inputFormat)
	if err != nil {
		return err
	}

	modelBytes, err := os.ReadFile(*modelPath)
	if err != nil {
		return usagef("reading model: %v", err)
	}
	if format == model.FormatAuto {
		format = model.Detect(modelBytes)
		fmt.Fprintf(stderr, "mlectl: %s: detected format %s\n", *modelPath, model.Describe(modelBytes, format))
	}
	m, err := model.Load(modelBytes, format, model.Options{Raw: *raw})
	if err != nil {
		return usagef("loading model %s: %v", *modelPath, err)
	}

	batch, err := readShadowInput(*inputPath, inFormat, *labelColumn, m, "score")
	if err != nil {
		return err
	}
	backend, _, done, err := scoringBackend(*backendName, m, *threads, stderr)
	if err != nil {
		return err
	}
	defer done()
	out := make([]float64, batch.Rows*m.NumOutputs())
	if err := backend.Score(ctx, m, batch, out); err != nil {
		return fmt.Errorf("scoring %s: %w", *inputPath, err)
	}
	return writeShadowPredictions(*outputPath, stdout, out, m.NumOutputs())
}

// parseShadowFormats parses the --format and --input-format flags.
// parseModelInputFlags parses the flags of a command that reads a model
// file and an input file (shadow score, shadow explain): no positional
// arguments, --model and --input required. helped: -h printed the usage.
func parseModelInputFlags(fs *flag.FlagSet, args []string, modelPath, inputPath *string) (helped bool, err error) {
	if err := describeFlags(fs, args); err != nil {
		return false, err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, usagef("%v", err)
	}
	switch {
	case fs.NArg() > 0:
		return false, usagef("unexpected argument %q", fs.Arg(0))
	case *modelPath == "":
		return false, usagef("--model is required")
	case *inputPath == "":
		return false, usagef("--input is required")
	}
	return false, nil
}

func parseShadowFormats(modelFormat, inputFormat string) (model.Format, dataset.Format, error) {
	mf, err := model.ParseFormat(modelFormat)
	if err != nil {
		return model.FormatAuto, dataset.FormatAuto, usagef("--format: %v", err)
	}
	df, err := dataset.ParseFormat(inputFormat)
	if err != nil {
		return model.FormatAuto, dataset.FormatAuto, usagef("--input-format: %v", err)
	}
	return mf, df, nil
}

// readShadowInput reads the rows to score or explain (verb, for the error
// on an empty input) for m, which may also be an absentValuer and a
// featureNamer.
func readShadowInput(path string, format dataset.Format, labelColumn int, m interface{ NumFeatures() int }, verb string) (engine.Batch, error) {
	var r io.Reader
	if path == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return engine.Batch{}, usagef("reading input: %v", err)
		}
		defer f.Close()
		r = f
	}
	br := bufio.NewReaderSize(r, 1<<16)
	if format == dataset.FormatAuto {
		head, _ := br.Peek(4096)
		format = dataset.DetectFormat(path, head)
	}
	opts := dataset.Options{
		Format:      format,
		NumFeatures: m.NumFeatures(),
		LabelColumn: labelColumn,
		Absent:      0,
	}
	if a, ok := m.(absentValuer); ok {
		opts.Absent = a.AbsentValue()
	}
	if n, ok := m.(featureNamer); ok {
		opts.FeatureNames = n.FeatureNames()
	}
	b, err := dataset.Read(br, opts)
	if err != nil {
		return engine.Batch{}, usagef("input %s: %v", path, err)
	}
	if b.Rows == 0 {
		return engine.Batch{}, usagef("input %s has no rows to %s", path, verb)
	}
	return b, nil
}

// writeShadowPredictions writes one line per row. A file is written next to its
// destination and renamed into place, so a failed run never leaves a
// truncated prediction file behind.
func writeShadowPredictions(path string, stdout io.Writer, out []float64, nOut int) error {
	var buf bytes.Buffer
	buf.Grow(len(out) * 20)
	line := make([]byte, 0, 64*nOut)
	for i := 0; i < len(out); i += nOut {
		line = line[:0]
		for k := 0; k < nOut; k++ {
			if k > 0 {
				line = append(line, ',')
			}
			line = strconv.AppendFloat(line, out[i+k], 'g', -1, 64)
		}
		line = append(line, '\n')
		buf.Write(line)
	}
	if path == "-" || path == "" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing predictions: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("writing predictions to %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing predictions to %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing predictions to %s: %w", path, err)
	}
	return nil
}
