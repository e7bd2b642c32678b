package runbooks

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed library/*.md
var embedded embed.FS

// Library is a set of runbooks by ID. Immutable after Load.
type Library struct {
	byID map[string]*Runbook
}

// Default returns the runbooks shipped in the binary.
func Default() (*Library, error) { return Load("") }

// Load returns the embedded library overlaid with every *.md file in dir
// (a runbook in dir replaces an embedded one with the same ID). An empty
// dir loads only the embedded set.
func Load(dir string) (*Library, error) {
	l := &Library{byID: map[string]*Runbook{}}
	err := fs.WalkDir(embedded, "library", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := embedded.ReadFile(p)
		if err != nil {
			return err
		}
		return l.add("embedded:"+path.Base(p), b, false)
	})
	if err != nil {
		return nil, fmt.Errorf("loading embedded runbooks: %w", err)
	}
	if dir == "" {
		return l, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return nil, fmt.Errorf("listing runbooks in %s: %w", dir, err)
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("runbooks directory: %w", err)
	}
	seen := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading runbook: %w", err)
		}
		rb, err := Parse(f, b)
		if err != nil {
			return nil, err
		}
		if prev, ok := seen[rb.ID]; ok {
			return nil, fmt.Errorf("runbook id %q is defined by both %s and %s", rb.ID, prev, f)
		}
		seen[rb.ID] = f
		l.byID[rb.ID] = rb
	}
	return l, nil
}

func (l *Library) add(source string, b []byte, override bool) error {
	rb, err := Parse(source, b)
	if err != nil {
		return err
	}
	if _, ok := l.byID[rb.ID]; ok && !override {
		return fmt.Errorf("runbook id %q is defined twice (%s)", rb.ID, source)
	}
	l.byID[rb.ID] = rb
	return nil
}

// Get returns the runbook with this ID.
func (l *Library) Get(id string) (*Runbook, bool) {
	rb, ok := l.byID[id]
	return rb, ok
}

// All returns every runbook, by ID.
func (l *Library) All() []*Runbook {
	out := make([]*Runbook, 0, len(l.byID))
	for _, rb := range l.byID {
		out = append(out, rb)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ForAlert returns the runbooks for an alert: the one its rule names in the
// runbook or runbook_url annotation (an ID, or a URL/path ending in ID or
// ID.md) if that resolves, otherwise every runbook whose matchers match.
func (l *Library) ForAlert(lset, annotations map[string]string) []*Runbook {
	for _, key := range []string{"runbook", "runbook_url"} {
		ref := strings.TrimSpace(annotations[key])
		if ref == "" {
			continue
		}
		ref = strings.TrimSuffix(strings.TrimRight(ref, "/"), ".md")
		if i := strings.LastIndexAny(ref, "/#"); i >= 0 {
			ref = ref[i+1:]
		}
		if rb, ok := l.byID[ref]; ok {
			return []*Runbook{rb}
		}
	}
	var out []*Runbook
	for _, rb := range l.All() {
		if rb.MatchesAlert(lset) {
			out = append(out, rb)
		}
	}
	return out
}
