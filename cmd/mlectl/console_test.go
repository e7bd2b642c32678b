package main

import (
	"bytes"
	"context"
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConsoleFlags(t *testing.T) {
	env := func(kv map[string]string) func(string) string {
		return func(k string) string { return kv[k] }
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    consoleOptions
		wantErr string
	}{
		{name: "defaults", want: consoleOptions{collector: "http://127.0.0.1:9710", refresh: 5 * time.Second, start: "models"}},
		{
			name: "environment", env: map[string]string{"MLECTL_COLLECTOR": "https://c.example:9710", "MLECTL_TOKEN": "t0k", "NO_COLOR": "1"},
			want: consoleOptions{collector: "https://c.example:9710", token: "t0k", noColor: true, refresh: 5 * time.Second, start: "models"},
		},
		{
			name: "flags beat environment", env: map[string]string{"MLECTL_COLLECTOR": "http://a:1"},
			args: []string{"--collector", "http://b:2", "--token", "x", "--read-only", "--ascii", "--refresh", "2s", "--view", "alerts"},
			want: consoleOptions{collector: "http://b:2", token: "x", readOnly: true, ascii: true, noColor: true, refresh: 2 * time.Second, start: "alerts"},
		},
		{name: "bad url", args: []string{"--collector", "127.0.0.1:9710"}, wantErr: "--collector"},
		{name: "fast refresh", args: []string{"--refresh", "1ms"}, wantErr: "--refresh must be at least"},
		{name: "unknown flag", args: []string{"--colour"}, wantErr: "flag provided but not defined: -colour"},
		{name: "stray argument", args: []string{"models"}, wantErr: `unexpected argument "models"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseConsoleFlags(tc.args, env(tc.env))
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				var ue usageError
				assert.ErrorAs(t, err, &ue, "bad console flags exit with status 2")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	_, err := parseConsoleFlags([]string{"-h"}, env(nil))
	assert.ErrorIs(t, err, flag.ErrHelp)
}

func TestConsoleWiring(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{"no command opens the console", nil, 1, "", "needs a terminal"},
		{"leading flag opens the console", []string{"--ascii"}, 1, "", "needs a terminal"},
		{"console command", []string{"console"}, 1, "", "needs a terminal"},
		{"console bad flag", []string{"console", "--nope"}, 2, "", "flag provided but not defined"},
		{"leading bad url", []string{"--collector", "ftp://x"}, 2, "", `collector URL "ftp://x" must look like http://host:port`},
		{"console help", []string{"console", "-h"}, 0, "Opens the interactive console", ""},
		{"help lists console", []string{"help"}, 0, "console", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), tc.args, &out, &errOut)
			assert.Equal(t, tc.code, code, "stderr: %s", errOut.String())
			assert.Contains(t, out.String(), tc.inStdout)
			assert.Contains(t, errOut.String(), tc.inStderr)
		})
	}
}
