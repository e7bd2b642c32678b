package main

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// completionTimeout bounds the collector round trip behind one <TAB>: a
// shell waiting longer feels hung, and an unreachable collector must cost
// the user nothing but the missing names.
const completionTimeout = 2 * time.Second

// completeModel completes MODEL, a command's first positional argument,
// with the names the collector's registry knows.
func completeModel(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return completeFromRegistry(cmd, args, toComplete, false)
}

// completeModelVersion completes MODEL as completeModel does and then
// VERSION, an existing version of MODEL, with the registry's versions.
func completeModelVersion(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return completeFromRegistry(cmd, args, toComplete, true)
}

// completeFromRegistry asks the collector's registry for model names, or for
// the versions of the model named first when withVersion. The collector and
// token are the ones the command line names, else $MLECTL_COLLECTOR and
// $MLECTL_TOKEN as for running it. Any failure (no collector, a refused
// token) completes nothing, silently.
func completeFromRegistry(cmd *cobra.Command, args []string, toComplete string, withVersion bool) ([]cobra.Completion, cobra.ShellCompDirective) {
	if strings.HasPrefix(toComplete, "-") {
		return nil, cobra.ShellCompDirectiveNoFileComp // cobra has offered the flag names
	}
	pos := positionalArgs(cmd, args)
	wantVersion := withVersion && len(pos) == 1
	if len(pos) > 1 || (len(pos) == 1 && !wantVersion) {
		return nil, cobra.ShellCompDirectiveDefault // a file, a number or free text: the shell's own completion
	}
	collector, token := collectorFromArgs(args)
	cl, err := (&metaCLI{collector: collector, token: token}).client() // the client the commands use
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
	defer cancel()
	var names []cobra.Completion
	if wantVersion {
		m, err := cl.Model(ctx, pos[0])
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		for _, v := range m.Versions {
			names = append(names, cobra.CompletionWithDesc(v.Version, string(v.Stage)))
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
	ms, err := cl.Models(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	for _, m := range ms {
		names = append(names, cobra.CompletionWithDesc(m.Name, "production "+dash(m.Production)))
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// positionalArgs returns the arguments of a command line that are not flags
// or flag values, using the flags cobra learned from the command's body.
func positionalArgs(cmd *cobra.Command, args []string) []string {
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(pos, args[i+1:]...)
		case len(a) > 1 && a[0] == '-':
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") {
				continue
			}
			if f := cmd.Flags().Lookup(name); f != nil && f.NoOptDefVal == "" {
				i++ // the flag's value
			}
		default:
			pos = append(pos, a)
		}
	}
	return pos
}

// collectorFromArgs returns the --collector and --token a command line
// names, else their defaults from the environment, as newMetaFlags has them.
func collectorFromArgs(args []string) (collector, token string) {
	collector, token = os.Getenv("MLECTL_COLLECTOR"), os.Getenv("MLECTL_TOKEN")
	if collector == "" {
		collector = collectorDefaultURL
	}
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") || (name != "collector" && name != "token") {
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				break
			}
			i++
			value = args[i]
		}
		if name == "collector" {
			collector = value
		} else {
			token = value
		}
	}
	return collector, token
}

// flagWords are the values of the flags that take one of a few words, by
// command path, for completion (completeArgs). A test checks that each flag
// exists and that its help names each word.
var flagWords = map[string]map[string][]string{
	"mlectl":                   {"view": consoleViews},
	"mlectl console":           {"view": consoleViews},
	"mlectl drift":             {"output": {"table", "json"}, "method": {"auto", "ks", "chi2", "z", "jensen_shannon", "wasserstein_normed", "psi", "hellinger"}},
	"mlectl annotate":          {"kind": {"annotation", "ack", "incident_resolved", "injection"}},
	"mlectl models set":        {"actuator": {"webhook", "exec", "file"}},
	"mlectl versions register": {"stage": {"none", "shadow", "production"}},
	"mlectl timeline export":   {"format": {"md", "json"}},
	"mlectl logs export":       {"format": {"ndjson", "csv"}, "injected": {"include", "exclude", "only"}},
	"mlectl shadow report":     {"o": {"table", "json"}, "source": {"logged", "replay", "live"}},
	"mlectl shadow replay":     {"o": {"table", "json"}},
	"mlectl slo generate":      {"period": {"30d", "28d"}},
	"mlectl gameday inject":    {"kind": {"shift", "scale", "nulls", "swap", "latency", "errors"}},
	"mlectl gameday run":       {"o": {"md", "json"}},
	"mlectl loadgen":           {"order": {"random", "sequential"}},
}

var consoleViews = []string{"models", "alerts", "query", "timeline", "runbooks", "gameday"}

// completeArgs is the completion of every command whose body parses its
// flags: cobra does not complete flag values there (it cannot tell which
// flags take one), so this does: the words of flagWords after such a flag,
// the shell's file names after any other; else the command's positional
// completion (positional), else file names.
func completeArgs(positional cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if name, value, ok := strings.Cut(toComplete, "="); ok && strings.HasPrefix(name, "-") {
			var words []cobra.Completion
			for _, w := range flagWords[cmd.CommandPath()][strings.TrimLeft(name, "-")] {
				if strings.HasPrefix(w, value) {
					words = append(words, name+"="+w)
				}
			}
			if words == nil {
				return nil, cobra.ShellCompDirectiveDefault
			}
			return words, cobra.ShellCompDirectiveNoFileComp
		}
		if f := flagAwaitingValue(cmd, args); f != nil {
			if words, ok := flagWords[cmd.CommandPath()][f.Name]; ok {
				return words, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveDefault
		}
		if positional != nil {
			return positional(cmd, args, toComplete)
		}
		return nil, cobra.ShellCompDirectiveDefault
	}
}

// flagAwaitingValue is the flag that args end with when it still needs its
// value (`--kind` but not `--kind=shift` or the bool `--dry-run`), else nil.
func flagAwaitingValue(cmd *cobra.Command, args []string) *pflag.Flag {
	if len(args) == 0 {
		return nil
	}
	last := args[len(args)-1]
	if len(last) < 2 || last[0] != '-' || last == "--" || strings.Contains(last, "=") {
		return nil
	}
	f := cmd.Flags().Lookup(strings.TrimLeft(last, "-"))
	if f == nil || f.NoOptDefVal != "" {
		return nil
	}
	return f
}
