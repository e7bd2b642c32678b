package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ownCommands walks mlectl's command tree, leaving out what cobra adds
// and documents itself (help, and the shells under completion).
func ownCommands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		if sub.Hidden {
			continue
		}
		if sub.Name() == "completion" {
			out = append(out, sub)
			continue
		}
		out = append(out, ownCommands(sub)...)
	}
	return out
}

// TestEveryCommandHasHelpWithExamples: `CMD --help` exits 0 and shows an
// Examples section for every command, each example line an mlectl command
// line (or its continuation), and every runnable command below a group
// declares its flags to cobra (help and completion list them).
func TestEveryCommandHasHelpWithExamples(t *testing.T) {
	cmds := ownCommands(newRootCommand(io.Discard, io.Discard))
	require.Greater(t, len(cmds), 40, "the tree lost commands")
	for _, c := range cmds {
		path := strings.Fields(c.CommandPath())[1:]
		t.Run(c.CommandPath(), func(t *testing.T) {
			require.NotEmpty(t, c.Example, "no Example")
			for _, line := range strings.Split(c.Example, "\n") {
				line = strings.TrimSpace(line)
				ok := strings.HasPrefix(line, "mlectl ") || line == "mlectl" || strings.HasPrefix(line, "--") ||
					strings.Contains(line, "| mlectl ") || strings.Contains(line, ") mlectl") || strings.HasPrefix(line, "source <(mlectl ")
				assert.True(t, ok, "example line is not an mlectl command line: %q", line)
			}
			if !c.HasSubCommands() && c.Name() != "completion" && c.Name() != "help" {
				assert.Equal(t, "yes", c.Annotations[annotationFlagsFromBody], "cobra does not know the body's flags")
			}
			var out, errb bytes.Buffer
			code := run(context.Background(), append(path, "--help"), &out, &errb)
			assert.Equal(t, 0, code, "stderr: %s", errb.String())
			assert.Contains(t, out.String(), "Examples:\n"+c.Example)
			assert.Empty(t, errb.String())
		})
	}
}

// TestExitCodes: bad input of every kind exits 2 with a message on stderr
// that names what was wrong; nothing goes to stdout.
func TestExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		naming string
	}{
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown command after a flag", []string{"--collector", "http://127.0.0.1:1", "frobnicate"}, `unknown command "frobnicate"`},
		{"unknown subcommand", []string{"models", "frob"}, `unknown models subcommand "frob"`},
		{"unknown subcommand of completion", []string{"completion", "tcsh"}, `unknown command "tcsh" for "mlectl completion"`},
		{"unknown help topic", []string{"help", "models", "frob"}, `unknown help topic "models frob"`},
		{"unknown flag", []string{"models", "list", "--nope"}, "flag provided but not defined: -nope"},
		{"unknown flag of a group", []string{"alerts", "--nope"}, `unknown alerts subcommand "--nope"`},
		{"unknown console flag", []string{"--nope"}, "flag provided but not defined: -nope"},
		{"unknown command after a single-dash console flag", []string{"-refresh", "2s", "frobnicate"}, `unknown command "frobnicate"`},
		{"console flag value is no command", []string{"-collector", "ftp://x"}, `collector URL "ftp://x" must look like http://host:port`},
		{"unknown flag of completion", []string{"completion", "bash", "--nope"}, "unknown flag: --nope"},
		{"missing argument", []string{"models", "show"}, "usage: mlectl models show MODEL"},
		{"missing arguments", []string{"promote", "fraud"}, "usage: mlectl promote MODEL VERSION"},
		{"missing subcommand", []string{"audit"}, "usage: mlectl audit verify|list"},
		{"missing flag value", []string{"drift", "--reference"}, "flag needs an argument: -reference"},
		{"extra argument", []string{"drift", "extra.csv"}, `unexpected argument "extra.csv"`},
		{"bad value", []string{"console", "--refresh", "1ms"}, "--refresh must be at least 500ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args, &out, &errb)
			assert.Equal(t, 2, code, "stderr: %s", errb.String())
			assert.Contains(t, errb.String(), tc.naming)
			assert.True(t, strings.HasPrefix(errb.String(), "mlectl") || strings.Contains(errb.String(), "\nmlectl"),
				"stderr says who complains: %q", errb.String())
			if !strings.Contains(strings.Join(tc.args, " "), "completion") {
				assert.Empty(t, out.String())
			}
		})
	}
}

// TestCompletionScripts: `mlectl completion SHELL` prints a script that
// the shell accepts (checked with bash -n and zsh -n where installed).
func TestCompletionScripts(t *testing.T) {
	tests := []struct {
		shell string
		mark  string
		check []string // syntax check: the shell and its flags, the script path appended
	}{
		{"bash", "__start_mlectl", []string{"bash", "-n"}},
		{"zsh", "#compdef mlectl", []string{"zsh", "-n"}},
		{"fish", "complete -c mlectl", []string{"fish", "--no-execute"}},
	}
	for _, tc := range tests {
		t.Run(tc.shell, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), []string{"completion", tc.shell}, &out, &errb)
			require.Equal(t, 0, code, "stderr: %s", errb.String())
			assert.Contains(t, out.String(), tc.mark)
			sh, err := exec.LookPath(tc.check[0])
			if err != nil {
				t.Logf("%s not installed: syntax not checked", tc.check[0])
				return
			}
			script := filepath.Join(t.TempDir(), "mlectl."+tc.shell)
			require.NoError(t, os.WriteFile(script, out.Bytes(), 0o644))
			msg, err := exec.Command(sh, append(tc.check[1:], script)...).CombinedOutput()
			assert.NoError(t, err, "%s rejects the script: %s", tc.shell, msg)
		})
	}
}

// complete asks mlectl what the shell should offer after args, as the
// completion scripts do (`mlectl __complete ARGS... WORD`).
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{cobra.ShellCompRequestCmd}, args...), &out, &errb)
	require.Equal(t, 0, code, "stderr: %s", errb.String())
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(line, ":") { // the directive ends the answer
			break
		}
		name, _, _ := strings.Cut(line, "\t")
		got = append(got, name)
	}
	return got
}

// TestCompletion: commands, the body's flags, and MODEL and VERSION from a
// real collector; a collector that does not answer completes nothing.
func TestCompletion(t *testing.T) {
	e := newCLIEnv(t)
	e.seed() // model fraud, versions v1 and v2
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"commands", []string{"ro"}, []string{"rollback"}},
		{"subcommands", []string{"versions", "a"}, []string{"archive"}},
		{"help topics", []string{"help", "shadow", "re"}, []string{"report", "replay"}},
		{"flags of the body", []string{"rollback", "fraud", "--re"}, []string{"--reason"}},
		{"single-letter flag", []string{"slo", "generate", "spec.yaml", "-"}, []string{"-o", "--period", "-l"}},
		{"flag words", []string{"gameday", "inject", "demand", "--kind", "s"}, []string{"shift", "scale", "swap"}},
		{"flag words after =", []string{"logs", "export", "demand", "--injected=ex"}, []string{"--injected=exclude"}},
		{"free flag value", []string{"rollback", "fraud", "--collector", e.url, "--token", cliViewer, "--reason", ""}, nil},
		{"flag words of a single-letter flag", []string{"shadow", "report", "fraud", "-o", ""}, []string{"table", "json"}},
		{"flag words of the console", []string{"--view", ""}, consoleViews},
		{"model names", []string{"rollback", "--collector", e.url, "--token", cliViewer, ""}, []string{"fraud"}},
		{"model names after a bool flag", []string{"promote", "--dry-run", "--collector", e.url, "--token", cliViewer, ""}, []string{"fraud"}},
		{"versions of the model", []string{"promote", "fraud", "--collector", e.url, "--token", cliViewer, ""}, []string{"v1", "v2"}},
		{"no versions for a new version", []string{"versions", "register", "fraud", "--collector", e.url, "--token", cliViewer, ""}, nil},
		{"versions after single-dash flags", []string{"set-traffic", "-collector", e.url, "-token", cliViewer, "-dry-run", "fraud", ""}, []string{"v1", "v2"}},
		{"no versions for free text", []string{"annotate", "fraud", "--collector", e.url, "--token", cliViewer, ""}, nil},
		{"unreachable collector", []string{"rollback", "--collector", "http://127.0.0.1:1", ""}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := complete(t, tc.args...)
			if tc.want == nil {
				assert.Empty(t, got)
				return
			}
			assert.Subset(t, got, tc.want)
		})
	}
}

// TestFlagWordsAreDocumented: every word offered for a flag is named in the
// flag's help or the command's description, so completion offers nothing
// the command does not document.
func TestFlagWordsAreDocumented(t *testing.T) {
	root := newRootCommand(io.Discard, io.Discard)
	for path, flags := range flagWords {
		cmd, _, err := root.Find(strings.Fields(path)[1:])
		require.NoError(t, err, path)
		for name, words := range flags {
			f := cmd.Flags().Lookup(name)
			require.NotNil(t, f, "%s --%s", path, name)
			for _, w := range words {
				assert.True(t, strings.Contains(f.Usage, w) || strings.Contains(cmd.Long, w),
					"%s --%s: %q is in neither the flag's help nor the command's", path, name, w)
			}
		}
	}
}
