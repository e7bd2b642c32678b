package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// narrowSizes adds the minimum width to the usual goldens' sizes.
var narrowSizes = []struct{ w, h int }{{80, 24}, {160, 48}, {60, 20}}

func eachNarrowSize(t *testing.T, fn func(t *testing.T, w, h int)) {
	for _, sz := range narrowSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) { fn(t, sz.w, sz.h) })
	}
}

// The alert list of fraud's incident: one row per alert, model and
// feature, versions folded in and the shadow marked, the incident summary
// above; MODEL survives 60 columns.
func TestAlertList(t *testing.T) {
	eachNarrowSize(t, func(t *testing.T, w, h int) {
		s := newSession(t, alertsIncident, w, h, "alerts")
		s.waitFor("collector ready", "INCIDENT fraud", "last change")
		screen := s.screen()
		checkGolden(t, screen, w, h)
		assert.Contains(t, screen, "FeatureDrift amount")
		assert.Contains(t, screen, "MODEL")
		assert.Contains(t, screen, "fraud")
		rows := screen[strings.Index(screen, "STATE"):]
		assert.Equal(t, 1, strings.Count(rows, "FeatureDrift amount"), "three series, one row")
	})
}

// h hides the shadow's alerts and S sorts by age.
func TestAlertListHideAndSort(t *testing.T) {
	s := newSession(t, alertsIncident, 120, 24, "alerts")
	s.waitFor("collector ready", "INCIDENT fraud", "last change")
	s.keys("h", "S")
	s.waitFor("shadow/canary hidden", "by age")
	screen := s.screen()
	rows := screen[strings.Index(screen, "STATE"):]
	assert.NotContains(t, rows, "merchant_category", "fires on the shadow only")
	assert.NotContains(t, rows, "shadow v8")
}

// enter (or d) opens the alert's details: labels, annotations, since
// when, runbook, silences, the changes around it.
func TestAlertDetailPane(t *testing.T) {
	eachNarrowSize(t, func(t *testing.T, w, h int) {
		s := newSession(t, alertsIncident, w, h, "alerts")
		s.waitFor("collector ready", "INCIDENT fraud", "last change")
		s.keys("down", "enter")
		s.waitFor("SERIES (3)")
		screen := s.screen()
		checkGolden(t, screen, w, h)
		assert.Contains(t, screen, "FeatureDrift amount")
	})
}

// :incident MODEL pins the summary to a model.
func TestIncidentSummary(t *testing.T) {
	eachNarrowSize(t, func(t *testing.T, w, h int) {
		s := newSession(t, alertsIncident, w, h, "")
		s.waitFor("collector ready")
		s.keys(":", "incident fraud", "enter")
		s.waitFor("Incident fraud", "INCIDENT fraud", "last change")
		screen := s.screen()
		checkGolden(t, screen, w, h)
		assert.Contains(t, screen, "serving v7 (shadow v8)")
		assert.Contains(t, screen, "last change: deploy v8 12:00")
	})
}
