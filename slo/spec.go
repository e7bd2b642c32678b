package slo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Spec versions this package reads. VersionSloth files are read exactly as
// Sloth reads them; VersionML is the same format with the ml: shorthand allowed
// in place of sli: on any SLO.
const (
	VersionSloth = "prometheus/v1"
	VersionML    = "mlectl/v1"
)

// Spec is one SLO spec document: the SLOs of one service.
type Spec struct {
	Version string            `yaml:"version"`
	Service string            `yaml:"service"`
	Labels  map[string]string `yaml:"labels,omitempty"`
	SLOs    []SLO             `yaml:"slos"`
}

// SLO is one service level objective. Exactly one of SLI.Events, SLI.Raw and
// ML is set in a spec; after Parse, ML has been expanded into SLI.
type SLO struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description,omitempty"`
	Objective   float64           `yaml:"objective"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	SLI         SLI               `yaml:"sli,omitempty"`
	ML          *ML               `yaml:"ml,omitempty"`
	Alerting    Alerting          `yaml:"alerting,omitempty"`
}

// SLI is how the error ratio of an SLO is measured. Queries are Go templates
// in which {{.window}} is replaced by each rule window (5m, 30m, ...).
type SLI struct {
	Events *EventsSLI `yaml:"events,omitempty"`
	Raw    *RawSLI    `yaml:"raw,omitempty"`
}

// EventsSLI measures the error ratio as error events over total events.
type EventsSLI struct {
	ErrorQuery string `yaml:"error_query"`
	TotalQuery string `yaml:"total_query"`
}

// RawSLI is a query that already yields the error ratio (0..1).
type RawSLI struct {
	ErrorRatioQuery string `yaml:"error_ratio_query"`
}

// Alerting names the SLO alert and the labels and annotations added to it;
// page and ticket alerts share the name and differ in sloth_severity.
type Alerting struct {
	Name        string            `yaml:"name,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
	PageAlert   Alert             `yaml:"page_alert,omitempty"`
	TicketAlert Alert             `yaml:"ticket_alert,omitempty"`
}

// Alert holds what is specific to the page or the ticket alert.
type Alert struct {
	Disable     bool              `yaml:"disable,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// ID is the sloth_id of the SLO: service and name joined by a dash.
func (s Spec) ID(o SLO) string { return s.Service + "-" + o.Name }

// Parse reads every YAML document in data (separated by ---), expands the ML
// shorthands and validates the result. Errors name the offending field by its
// path (slos[1].objective) and its line.
func Parse(data []byte) ([]Spec, error) {
	var specs []Spec
	multi := moreDocuments(data)
	wrap := func(doc int, err error) error {
		if multi {
			return fmt.Errorf("document %d: %w", doc+1, err)
		}
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	// A second decoder over the same bytes yields the node trees that map
	// field paths back to lines for validation errors.
	nodeDec := yaml.NewDecoder(bytes.NewReader(data))
	for doc := 0; ; doc++ {
		var spec Spec
		err := dec.Decode(&spec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, wrap(doc, rewordYAMLError(err, data))
		}
		var root yaml.Node
		if err := nodeDec.Decode(&root); err != nil {
			return nil, wrap(doc, rewordYAMLError(err, data))
		}
		if isEmptyDocument(&root) {
			continue
		}
		if err := spec.expandAndValidate(&root); err != nil {
			return nil, wrap(doc, err)
		}
		specs = append(specs, spec)
	}
	if len(specs) == 0 {
		return nil, errors.New("no SLO spec found: the file is empty")
	}
	ids := map[string]bool{}
	for _, s := range specs {
		for _, o := range s.SLOs {
			if ids[s.ID(o)] {
				return nil, fmt.Errorf("SLO ID %q is defined twice: service and SLO name pairs must be unique", s.ID(o))
			}
			ids[s.ID(o)] = true
		}
	}
	return specs, nil
}

var docSeparatorRe = regexp.MustCompile(`(?m)^---`)

func moreDocuments(data []byte) bool { return docSeparatorRe.Match(data) }

func isEmptyDocument(root *yaml.Node) bool {
	if root.Kind == 0 {
		return true
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		n := root.Content[0]
		return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
	}
	return false
}

var unknownFieldRe = regexp.MustCompile(`field (\S+) not found in type slo\.(\w+)`)

var yamlLineRe = regexp.MustCompile(`line (\d+):`)

// rewordYAMLError turns yaml.v3's Go-type wording into the spec's terms.
func rewordYAMLError(err error, data []byte) error {
	msg := err.Error()
	if strings.Contains(msg, "found character that cannot start any token") {
		if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
			lines := strings.Split(string(data), "\n")
			if n, _ := strconv.Atoi(m[1]); n >= 1 && n <= len(lines) && strings.Contains(lines[n-1], "\t") {
				msg += " (a tab: tabs cannot indent YAML, use spaces)"
			}
		}
	}
	msg = unknownFieldRe.ReplaceAllStringFunc(msg, func(m string) string {
		sub := unknownFieldRe.FindStringSubmatch(m)
		hint := ""
		switch sub[1] {
		case "plugins", "slo_plugins", "plugin":
			hint = " (Sloth plugins are not supported)"
		}
		return fmt.Sprintf("unknown field %q in %s%s", sub[1], yamlTypeNames[sub[2]], hint)
	})
	msg = strings.ReplaceAll(msg, "yaml: unmarshal errors:\n  ", "")
	msg = strings.ReplaceAll(msg, "\n  ", "; ")
	return errors.New(msg)
}

var yamlTypeNames = map[string]string{
	"Spec": "the spec", "SLO": "an SLO", "SLI": "sli", "EventsSLI": "sli.events",
	"RawSLI": "sli.raw", "Alerting": "alerting", "Alert": "page_alert/ticket_alert",
	"ML": "ml", "LatencySLI": "ml.latency", "AvailabilitySLI": "ml.availability",
	"QualitySLI": "ml.quality", "DriftSLI": "ml.drift",
}
