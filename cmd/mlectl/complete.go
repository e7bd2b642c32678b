package main

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
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
