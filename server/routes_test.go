package server_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/auth"
	"github.com/mlectl/mlectl/collector"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/server"
)

func collectorConfig(t *testing.T, dir string) server.Config {
	t.Helper()
	raw, err := os.ReadFile("testdata/collector.yaml")
	require.NoError(t, err)
	cfg, err := collector.ParseConfigBytes(raw)
	require.NoError(t, err)
	return server.Config{Collector: cfg, DataDir: dir, Listen: "127.0.0.1:0"}
}

// start assembles cfg and runs it until the test ends.
func start(t *testing.T, cfg server.Config) *server.Server {
	t.Helper()
	s, err := server.Assemble(context.Background(), cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		require.NoError(t, s.Close())
	})
	_, err = s.Storage(context.Background())
	require.NoError(t, err)
	return s
}

// key names a route by method and pattern.
func key(method, pattern string) string { return strings.TrimSpace(method + " " + pattern) }

// TestRouteTable walks the route table: every route has a role and a
// handler, the mux holds exactly the table's routes, every route answers
// (no mux 404) while an unknown path gets a 404, and README's API table
// lists each route with its role.
func TestRouteTable(t *testing.T) {
	s := start(t, collectorConfig(t, t.TempDir()))
	table := s.Routes()
	require.Greater(t, len(table), 70, "the table lost routes")

	inTable := map[string]route.Route{}
	for _, r := range table {
		k := key(r.Method, r.Pattern)
		assert.NotContains(t, inTable, k, "route %s is in the table twice", k)
		inTable[k] = r
		assert.True(t, r.Role != auth.RoleNone || r.Open, "route %s has no role", k)
		assert.NotNil(t, r.Handler, "route %s has no handler", k)
		assert.True(t, r.Method != "" || strings.HasPrefix(r.Pattern, "/api/v1/"), "route %s has no method and is not Prometheus's", k)
	}

	// What the mux recorded as it registered each handler.
	mounted := map[string]bool{}
	for _, r := range s.Mounted() {
		assert.True(t, r.Ruled, "route %s is mounted without a role", r.Pattern)
		methods := r.Methods
		if len(methods) == 0 {
			methods = []string{""}
		}
		for _, m := range methods {
			k := key(m, r.Pattern)
			mounted[k] = true
			assert.Contains(t, inTable, k, "route %s is mounted but not in the route table", k)
		}
	}
	for k := range inTable {
		assert.True(t, mounted[k], "route %s is in the table but not mounted", k)
	}

	client := &http.Client{Timeout: 10 * time.Second}
	for _, r := range table {
		method := r.Method
		switch {
		case r.Pattern == "/api/v1/*path":
			method = http.MethodOptions
		case method == "":
			method = http.MethodGet
		}
		status, body := probe(t, client, method, s.URL()+concretePath(r.Pattern))
		assert.False(t, status == http.StatusNotFound && body == "404 page not found\n",
			"%s %s: the mux has no handler for it (%d %q)", method, r.Pattern, status, body)
	}
	for _, p := range []string{"/nope", "/api/v1/nope", "/api/v1/models/fraud/nope"} {
		status, _ := probe(t, client, http.MethodGet, s.URL()+p)
		assert.Equal(t, http.StatusNotFound, status, p)
	}
	// A mounted path called with a method it has no route for is a 405
	// naming the methods it has, as on Prometheus's own routes.
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodDelete, "/api/v1/models", "GET"},
		{http.MethodPatch, "/api/v1/gameday/injections", "GET, POST"},
		{http.MethodGet, "/api/v1/models/fraud/rollback", "POST"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		req, err := http.NewRequestWithContext(ctx, tc.method, s.URL()+tc.path, nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		cancel()
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, "%s %s", tc.method, tc.path)
		assert.ElementsMatch(t, strings.Split(tc.allow, ", "), strings.Split(resp.Header.Get("Allow"), ", "), "%s %s", tc.method, tc.path)
	}

	readme := readmeAPITable(t)
	for _, r := range table {
		roles, ok := readme[key(r.Method, readmePath(r.Pattern))]
		if !ok && r.Method == "" { // Prometheus routes: any method listed
			for k, v := range readme {
				if strings.HasSuffix(k, " "+readmePath(r.Pattern)) || k == readmePath(r.Pattern) {
					roles, ok = v, true
					break
				}
			}
		}
		if assert.True(t, ok, "README's API table does not list %s %s", r.Method, readmePath(r.Pattern)) {
			assert.Contains(t, roles, r.Access(), "README's API table gives %s %s another role", r.Method, r.Pattern)
		}
	}
}

func probe(t *testing.T, client *http.Client, method, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	require.NoError(t, err)
	resp, err := client.Do(req)
	require.NoError(t, err, "%s %s", method, url)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		return resp.StatusCode, "" // a stream (notifications/live) is not read
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(b)
}

// concretePath fills a pattern's parameters: {model}, :name, *path.
func concretePath(pattern string) string {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") || strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = "x"
		}
	}
	return strings.Join(parts, "/")
}

// readmePath writes Prometheus's :param as {param}, as README does.
var promParam = regexp.MustCompile(`:(\w+)`)

func readmePath(pattern string) string { return promParam.ReplaceAllString(pattern, "{$1}") }

// readmeAPITable parses the table under README's "### HTTP API" (the
// collector's): for each `METHOD /path` (or `METHOD/METHOD /path`, or
// `/path`) in a row's first cell, the row's role cell.
func readmeAPITable(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("../README.md")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	token := regexp.MustCompile("`(?:([A-Z]+(?:/[A-Z]+)*) )?(/[^` ]*)`")
	out := map[string]string{}
	in := false
	for sc.Scan() {
		line := sc.Text()
		if !in {
			in = line == "### HTTP API"
			continue
		}
		if strings.HasPrefix(line, "#") {
			break
		}
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, " | ")
		require.GreaterOrEqual(t, len(cells), 3, "README API row %q: want | method and path | role | what |", line)
		for _, m := range token.FindAllStringSubmatch(cells[0], -1) {
			if m[1] == "" {
				out[m[2]] = cells[1]
				continue
			}
			for _, method := range strings.Split(m[1], "/") {
				out[key(method, m[2])] = cells[1]
			}
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out, "README has no API table under ### HTTP API")
	return out
}

// dumpTable prints the table (MLECTL_DUMP_ROUTES=1) for README.
func TestDumpRouteTable(t *testing.T) {
	if os.Getenv("MLECTL_DUMP_ROUTES") == "" {
		t.Skip("set MLECTL_DUMP_ROUTES=1 to print the route table")
	}
	s := start(t, collectorConfig(t, t.TempDir()))
	for _, r := range s.Routes() {
		t.Logf("%-7s %-60s %s", r.Method, readmePath(r.Pattern), r.Access())
	}
}
