//go:build e2e

package e2e

import (
	"sort"
	"strings"
)

func sortLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
