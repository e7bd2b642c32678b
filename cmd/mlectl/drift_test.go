package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// moduleRoot is the repository root relative to this package.
const moduleRoot = "../.."

type driftCase struct{ name, dir string }

// driftCases lists the oracle cases: the copies in testdata/drift (small
// ones, plus synthetic edge cases generated with the same oracle) and every
// case in ../shared/oracles/drift that has no copy (the large adult case).
func driftCases(t *testing.T) []driftCase {
	t.Helper()
	var cases []driftCase
	have := map[string]bool{}
	local := filepath.Join(moduleRoot, "testdata", "drift")
	entries, err := os.ReadDir(local)
	require.NoError(t, err)
	for _, e := range entries {
		if e.IsDir() {
			cases = append(cases, driftCase{e.Name(), filepath.Join(local, e.Name())})
			have[e.Name()] = true
		}
	}
	require.NotEmpty(t, cases)
	shared := filepath.Join(moduleRoot, "..", "shared", "oracles", "drift")
	entries, err = os.ReadDir(shared)
	if err != nil {
		t.Logf("%s not found: running only the %d cases in testdata/drift", shared, len(cases))
		return cases
	}
	// A present but empty oracle directory would add nothing and pass.
	require.NotEmpty(t, entries, "%s has no oracle cases", shared)
	for _, e := range entries {
		if e.IsDir() && !have[e.Name()] {
			cases = append(cases, driftCase{e.Name(), filepath.Join(shared, e.Name())})
		}
	}
	return cases
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestDriftOracleCases(t *testing.T) {
	for _, c := range driftCases(t) {
		t.Run(c.name, func(t *testing.T) {
			args, err := os.ReadFile(filepath.Join(c.dir, "args"))
			require.NoError(t, err)
			want, err := os.ReadFile(filepath.Join(c.dir, "expected.json"))
			require.NoError(t, err)
			require.NotEmpty(t, bytes.TrimSpace(want), "%s/expected.json is empty", c.dir)
			cmd := append([]string{"drift",
				"--reference", filepath.Join(c.dir, "reference.csv"),
				"--current", filepath.Join(c.dir, "current.csv")},
				strings.Fields(string(args))...)
			cmd = append(cmd, "--output", "json")
			code, got, stderr := runCLI(t, cmd...)
			require.Equal(t, 0, code, stderr)
			compareOracleJSON(t, want, []byte(got))
		})
	}
}

var pyNonFinite = regexp.MustCompile(`: (NaN|-?Infinity)([,\n])`)

// compareOracleJSON walks both documents token by token: same keys in the
// same order, same strings and booleans, numbers within 1e-6 absolute or
// 1e-9 relative above 1.
func compareOracleJSON(t *testing.T, want, got []byte) {
	t.Helper()
	quote := func(b []byte) []byte { return pyNonFinite.ReplaceAll(b, []byte(`: "$1"$2`)) }
	dw := json.NewDecoder(bytes.NewReader(quote(want)))
	dg := json.NewDecoder(bytes.NewReader(quote(got)))
	dw.UseNumber()
	dg.UseNumber()
	var path []string
	for i := 0; ; i++ {
		tw, errW := dw.Token()
		tg, errG := dg.Token()
		if errW == io.EOF {
			require.Equal(t, io.EOF, errG, "output has more tokens than expected.json")
			return
		}
		require.NoError(t, errW)
		require.NoError(t, errG, "output is not valid JSON at token %d", i)
		where := strings.Join(path, ".")
		switch w := tw.(type) {
		case json.Number:
			g, ok := tg.(json.Number)
			require.True(t, ok, "%s: want number %v, got %v", where, w, tg)
			wf, _ := w.Float64()
			gf, _ := g.Float64()
			tol := 1e-6
			if math.Abs(wf) > 1 {
				tol = 1e-9 * math.Abs(wf)
			}
			assert.InDelta(t, wf, gf, tol, "%s", where)
		default:
			require.Equal(t, tw, tg, "%s", where)
			if s, ok := tw.(string); ok && dw.More() {
				path = append(path[:min(len(path), 3)], s)
			}
		}
	}
}

func TestDriftTableOutput(t *testing.T) {
	dir := filepath.Join(moduleRoot, "testdata", "drift", "bike_season1_vs_season3_2011")
	code, out, stderr := runCLI(t, "drift", "--reference", filepath.Join(dir, "reference.csv"),
		"--current", filepath.Join(dir, "current.csv"), "--categorical", "season,holiday,workingday,weathersit,weekday")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.GreaterOrEqual(t, len(lines), 14)
	assert.Regexp(t, `^COLUMN\s+TYPE\s+METHOD\s+SCORE\s+THRESHOLD\s+DRIFT$`, lines[0])
	// temp shifts strongly between winter and summer (wasserstein_normed 0.1 threshold).
	var temp string
	for _, l := range lines {
		if strings.HasPrefix(l, "temp ") {
			temp = l
		}
	}
	assert.Regexp(t, `^temp\s+numerical\s+wasserstein_normed\s+\S+\s+0\.1\s+DRIFT$`, temp)
	assert.Contains(t, out, "columns drifted")
}

func TestDriftForcedMethod(t *testing.T) {
	dir := filepath.Join(moduleRoot, "testdata", "drift", "bike_jan_vs_feb_2011")
	code, out, stderr := runCLI(t, "drift", "--reference", filepath.Join(dir, "reference.csv"),
		"--current", filepath.Join(dir, "current.csv"), "--columns", "temp,hum", "--method", "psi", "--output", "json")
	require.Equal(t, 0, code, stderr)
	var doc struct {
		Columns []struct {
			Name   string
			Method string
			Score  float64
			Stats  map[string]float64
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.Len(t, doc.Columns, 2)
	for _, c := range doc.Columns {
		assert.Equal(t, "psi", c.Method)
		assert.Equal(t, c.Stats["psi"], c.Score)
	}
}

func TestDriftBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	ref := write("ref.csv", "a,b,c\n1,x,\n2,y,\n3,x,\n")
	cur := write("cur.csv", "a,b,c\n1,x,1\n5,z,2\n")
	curText := write("cur_text.csv", "a,b,c\nq,x,1\n")
	empty := write("empty.csv", "")
	ragged := write("ragged.csv", "a,b,c\n1,2,3,4\n")
	quote := write("quote.csv", "a,b,c\n\"1,2,3\n")
	missing := filepath.Join(dir, "nope.csv")
	for _, c := range []struct {
		name   string
		args   []string
		reason string
	}{
		{"no flags", nil, "--reference and --current are required"},
		{"unknown flag", []string{"--bogus"}, "flag provided but not defined"},
		{"missing file", []string{"--reference", missing, "--current", cur}, "nope.csv"},
		{"column missing", []string{"--reference", ref, "--current", cur, "--columns", "a,zz"}, `column "zz" is not in the reference data`},
		{"empty column", []string{"--reference", ref, "--current", cur, "--columns", "c"}, `column "c" has no values in the reference data`},
		{"type mismatch", []string{"--reference", ref, "--current", curText, "--columns", "a"}, `column "a" is numeric in the reference data but not in the current data`},
		{"empty file", []string{"--reference", empty, "--current", cur}, "no header row"},
		{"ragged row", []string{"--reference", ragged, "--current", cur}, "line 2: expected 3 fields, saw 4"},
		{"open quote", []string{"--reference", quote, "--current", cur}, "unterminated quoted field"},
		{"bad output", []string{"--reference", ref, "--current", cur, "--output", "xml"}, "--output must be json or table"},
		{"bad method", []string{"--reference", ref, "--current", cur, "--method", "magic"}, `unknown method "magic"`},
		{"ks on text", []string{"--reference", ref, "--current", cur, "--columns", "b", "--method", "ks"}, `method ks needs a numerical column`},
		{"stray argument", []string{"--reference", ref, "--current", cur, "extra"}, `unexpected argument "extra"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, append([]string{"drift"}, c.args...)...)
			assert.Equal(t, 2, code, "stdout: %s", out)
			assert.Contains(t, stderr, c.reason)
			assert.Empty(t, out)
		})
	}
}

func TestDriftHelp(t *testing.T) {
	code, out, _ := runCLI(t, "drift", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "usage: mlectl drift")
}
