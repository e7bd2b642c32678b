package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/mlectl/mlectl/registry"
)

func runVersions(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("usage: mlectl versions register|list|archive|unarchive MODEL ...")
	}
	switch args[0] {
	case "register":
		return versionsRegister(ctx, args[1:], stdout, stderr)
	case "list":
		return versionsList(ctx, args[1:], stdout, stderr)
	case "archive", "unarchive":
		return versionsArchive(ctx, args[0], args[1:], stdout, stderr)
	}
	return usagef("unknown versions subcommand %q (register, list, archive, unarchive)", args[0])
}

func versionsRegister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, mc := newMetaFlags("versions register", stderr)
	artifact := fs.String("artifact", "", "artifact URI (s3://..., gs://..., file path)")
	sum := fs.String("sha256", "", "artifact sha256 (64 hex digits)")
	file := fs.String("file", "", "local artifact file to compute --sha256 from")
	owner := fs.String("owner", "", "owner (default: the token's name)")
	baseline := fs.String("baseline", "", "reference data set URI drift is measured against")
	stage := fs.String("stage", "none", "initial stage: none, shadow, or production for a model's first version")
	var metrics stringList
	fs.Var(&metrics, "metric", "training metric name=value, repeatable")
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("usage: mlectl versions register MODEL VERSION --artifact URI (--sha256 HEX | --file PATH) [--baseline URI] [--metric k=v]")
	}
	if *artifact == "" {
		return usagef("--artifact is required")
	}
	if *file != "" {
		f, err := os.Open(*file)
		if err != nil {
			return usagef("--file: %v", err)
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("hashing %s: %w", *file, err)
		}
		got := hex.EncodeToString(h.Sum(nil))
		if *sum != "" && !strings.EqualFold(*sum, got) {
			return usagef("--sha256 %s does not match the sha256 of --file %s (%s)", *sum, *file, got)
		}
		*sum = got
	}
	if *sum == "" {
		return usagef("--sha256 or --file is required")
	}
	v := registry.Version{Model: pos[0], Version: pos[1], ArtifactURI: *artifact, SHA256: strings.ToLower(*sum), Owner: *owner,
		Baseline: *baseline, Stage: registry.Stage(*stage)}
	if _, err := registry.ParseStage(*stage); err != nil {
		return usagef("--stage: %v", err)
	}
	for _, m := range metrics {
		k, val, ok := strings.Cut(m, "=")
		f, err := strconv.ParseFloat(val, 64)
		if !ok || k == "" || err != nil {
			return usagef("--metric %q must be name=number", m)
		}
		if v.Metrics == nil {
			v.Metrics = map[string]float64{}
		}
		v.Metrics[k] = f
	}
	if err := v.Validate(); err != nil {
		return usagef("%v", err)
	}
	cl, err := mc.client()
	if err != nil {
		return err
	}
	out, err := cl.Register(ctx, v)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "registered %s %s (stage %s, sha256 %s)\n", out.Model, out.Version, out.Stage, out.SHA256)
	return nil
}

func versionsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, mc := newMetaFlags("versions list", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: mlectl versions list MODEL")
	}
	cl, err := mc.client()
	if err != nil {
		return err
	}
	vs, err := cl.Versions(ctx, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, vs)
	}
	return printVersions(stdout, vs)
}

func versionsArchive(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) error {
	fs, mc := newMetaFlags("versions "+verb, stderr)
	pos, err := metaParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("usage: mlectl versions %s MODEL VERSION", verb)
	}
	cl, err := mc.client()
	if err != nil {
		return err
	}
	v, err := cl.Archive(ctx, pos[0], pos[1], verb == "archive")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s is now %s\n", v.Model, v.Version, v.Stage)
	return nil
}
