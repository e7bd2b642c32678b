//go:build tools

// Package deps pins the module dependency set chosen for the project.
package deps

import (
	_ "github.com/VictoriaMetrics/metricsql"
	_ "github.com/charmbracelet/bubbles/key"
	_ "github.com/charmbracelet/bubbletea"
	_ "github.com/charmbracelet/glamour"
	_ "github.com/charmbracelet/lipgloss"
	_ "github.com/charmbracelet/x/exp/teatest"
	_ "github.com/dgraph-io/badger/v4"
	_ "github.com/dmitryikh/leaves"
	_ "github.com/golang/snappy"
	_ "github.com/klauspost/compress/zstd"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/prometheus/promql"
	_ "github.com/prometheus/prometheus/promql/promqltest"
	_ "github.com/prometheus/prometheus/storage/remote"
	_ "github.com/prometheus/prometheus/tsdb"
	_ "github.com/prometheus/prometheus/rules"
	_ "github.com/stretchr/testify/require"
	_ "gopkg.in/yaml.v3"
)
