package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mlectl/mlectl/client"
	"github.com/mlectl/mlectl/predlog/baseline"
)

const baselineUsage = `usage: mlectl baseline import MODEL VERSION FILE.csv|FILE.parquet [--categorical a,b] [--collector URL] [--token T]
       mlectl baseline show MODEL VERSION [--collector URL] [--token T]

import profiles every column of the training data in FILE (CSV, or Parquet
read row group by row group; numerical:
range, mean, deciles and a sample of at most 10000 order statistics;
categorical: every category with its count) and stores the profile on the
collector. Serving traffic of MODEL VERSION is then compared against it
(training/serving skew), and a data contract is learned from it unless the
model has an explicit one. Columns named in --categorical are categories even
when numeric. show prints the stored profile as JSON. --token (default
$MLECTL_TOKEN) is sent as a bearer token: with ingest_auth: token, import
needs one of role ingest or higher.
`

func runBaseline(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, baselineUsage)
		if len(args) == 0 {
			return usagef("missing subcommand\n%s", baselineUsage)
		}
		return nil
	}
	sub := args[0]
	if sub != "import" && sub != "show" {
		return usagef("unknown subcommand %q (want import or show)\n%s", sub, baselineUsage)
	}
	fs, cli := newMetaFlags("baseline "+sub, stderr)
	cats := fs.String("categorical", "", "comma-separated columns profiled as categories")
	pos, err := metaParse(fs, args[1:])
	if err != nil {
		return err
	}
	want := map[string]int{"import": 3, "show": 2}[sub]
	if len(pos) != want {
		return usagef("baseline %s wants %d arguments, got %d\n%s", sub, want, len(pos), baselineUsage)
	}
	base, err := collectorBase(cli.collector)
	if err != nil {
		return err
	}
	model, version := pos[0], pos[1]
	cl, err := collectorClient(cli, baselineTimeout)
	if err != nil {
		return err
	}
	if sub == "show" {
		return baselineShow(ctx, cl, model, version, stdout)
	}

	path := pos[2]
	var categorical []string
	for _, c := range strings.Split(*cats, ",") {
		if c = strings.TrimSpace(c); c != "" {
			categorical = append(categorical, c)
		}
	}
	p, err := profileTrainingFile(model, version, path, categorical, time.Now())
	if err != nil {
		return usagef("%v", err)
	}
	body, err := p.Marshal()
	if err != nil {
		return err
	}
	if err := cl.PutBaseline(ctx, model, version, body); err != nil {
		return collectorError(err, "baseline import", "store baseline on "+base)
	}
	nNum, nCat := 0, 0
	for _, f := range p.Features {
		if f.Type == baseline.Numerical {
			nNum++
		} else {
			nCat++
		}
	}
	fmt.Fprintf(stdout, "baseline %s/%s stored: %d rows, %d numerical and %d categorical features\n", model, version, p.Rows, nNum, nCat)
	return nil
}

func baselineShow(ctx context.Context, cl *client.Client, model, version string, stdout io.Writer) error {
	raw, err := cl.BaselineJSON(ctx, model, version)
	if err != nil {
		return collectorError(err, "baseline show", "read baseline")
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("read baseline: %w", err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
