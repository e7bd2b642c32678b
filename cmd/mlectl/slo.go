package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/mlectl/mlectl/slo"
)

const sloUsage = `usage: mlectl slo generate FILE.yaml [-o OUT.yml] [flags]
       mlectl slo validate FILE.yaml

generate  prints the Prometheus rule file (SLI recording rules, SLO metadata
          rules, multiwindow multi-burn-rate page and ticket alerts) for the
          SLO specs in FILE.yaml; the same rules Sloth v0.16.0 generates.
validate  checks FILE.yaml and lists its SLOs.

FILE.yaml is a Sloth spec (version: prometheus/v1) or an mlectl spec
(version: mlectl/v1) whose SLOs may use the ml: shorthands latency,
availability, quality and drift. - reads stdin.
`

func runSLO(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if done, err := groupHelp(args, stdout, sloUsage, "generate, validate"); done {
		return err
	}
	switch args[0] {
	case "generate":
		return runSLOGenerate(ctx, args[1:], stdout, stderr)
	case "validate":
		return runSLOValidate(ctx, args[1:], stdout, stderr)
	}
	return usagef("unknown slo subcommand %q (want: generate, validate)", args[0])
}

// sloLabelsFlag collects repeated -l key=value flags.
type sloLabelsFlag map[string]string

func (l sloLabelsFlag) String() string { return "" }

// Type says the flag repeats: --help shows it and completion offers it again.
func (l sloLabelsFlag) Type() string { return "stringArray" }

func (l sloLabelsFlag) Set(s string) error {
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || v == "" {
			return fmt.Errorf("%q is not key=value", kv)
		}
		l[k] = v
	}
	return nil
}

// sloParseArgs lets flags come before or after the one positional
// argument (mlectl slo generate FILE -o OUT as well as -o OUT FILE).
func sloParseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func runSLOGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("slo generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, sloUsage+"\nflags:\n")
		fs.PrintDefaults()
	}
	extra := sloLabelsFlag{}
	var (
		out    = fs.String("o", "-", "write the rule file to `file` (replaced atomically); - for stdout")
		period = fs.String("period", "30d", "SLO period: 30d or 28d")
	)
	fs.Var(extra, "l", "extra `key=value` label for every SLO (repeatable, comma-separated), like Sloth's --extra-labels")
	if err := describeFlags(fs, args); err != nil {
		return err
	}
	path, done, err := sloSpecArg(fs, args, " (see mlectl slo --help)")
	if done || err != nil {
		return err
	}
	p, err := model.ParseDuration(*period)
	if err != nil {
		return usagef("-period: %v", err)
	}
	specs, err := sloReadSpecs(path)
	if err != nil {
		return err
	}
	rules, err := slo.Generate(specs, slo.Options{Period: time.Duration(p), ExtraLabels: extra})
	if err != nil {
		return usagef("%s: %v", path, err)
	}
	var buf bytes.Buffer
	if _, err := rules.WriteTo(&buf); err != nil {
		return err
	}
	if *out == "-" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	return sloWriteFileAtomic(*out, buf.Bytes())
}

// sloSpecArg parses args and returns the one spec file they name; done
// reports that -h printed the usage and there is nothing left to run.
func sloSpecArg(fs *flag.FlagSet, args []string, hint string) (path string, done bool, err error) {
	pos, err := sloParseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", true, nil
		}
		return "", false, usagef("%v", err)
	}
	if len(pos) != 1 {
		return "", false, usagef("want exactly one spec file, got %d arguments%s", len(pos), hint)
	}
	return pos[0], false, nil
}

func runSLOValidate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("slo validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := describeFlags(fs, args); err != nil {
		return err
	}
	path, done, err := sloSpecArg(fs, args, "")
	if done || err != nil {
		return err
	}
	specs, err := sloReadSpecs(path)
	if err != nil {
		return err
	}
	for _, s := range specs {
		for _, o := range s.SLOs {
			kind := "events"
			if o.SLI.Raw != nil {
				kind = "raw"
			}
			if o.ML != nil {
				kind = "ml"
			}
			fmt.Fprintf(stdout, "%s\tobjective %g%%\tsli %s\talert %q\n", s.ID(o), o.Objective, kind, o.Alerting.Name)
		}
	}
	return nil
}

// sloReadSpecs reads and parses a spec file; every problem with it is the
// caller's input, hence a usage error.
func sloReadSpecs(path string) ([]slo.Spec, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, usagef("reading spec: %v", err)
	}
	specs, err := slo.Parse(data)
	if err != nil {
		return nil, usagef("%s: %v", path, err)
	}
	return specs, nil
}

// sloWriteFileAtomic replaces path only once the whole file is written, so a
// failed run never leaves a truncated rule file for Prometheus to load.
func sloWriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing rule file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing rule file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing rule file: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("writing rule file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing rule file: %w", err)
	}
	return nil
}
