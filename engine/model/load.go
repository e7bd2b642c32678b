package model

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/dmitryikh/leaves"

	"github.com/mlectl/mlectl/engine"
)

// Format names a model file format.
type Format string

// Model file formats Load understands.
const (
	FormatAuto          Format = ""
	FormatXGBoostJSON   Format = "xgboost-json"
	FormatXGBoostBinary Format = "xgboost"
	FormatLightGBM      Format = "lightgbm"
	FormatLightGBMJSON  Format = "lightgbm-json"
)

// Formats lists the explicit formats, for help texts.
func Formats() []Format {
	return []Format{FormatXGBoostJSON, FormatXGBoostBinary, FormatLightGBM, FormatLightGBMJSON}
}

// ParseFormat validates a format name given by a user.
func ParseFormat(s string) (Format, error) {
	if s == "" || s == "auto" {
		return FormatAuto, nil
	}
	formats := Formats()
	for _, f := range formats {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown model format %q (want one of %s, or omit it to detect by content)", s, strings.Join(names, ", "))
}

// Options tune how a model is loaded.
type Options struct {
	// Raw makes predictions the summed margins, without the objective's
	// output transformation (sigmoid, softmax, exp).
	Raw bool
}

// lightGBMJSONHead matches the first key of LightGBM's dump_model JSON.
var lightGBMJSONHead = regexp.MustCompile(`^\{\s*"name"\s*:\s*"tree"`)

// Detect guesses a model's format from its content: a JSON object starting
// with "name": "tree" is a LightGBM JSON dump, any other JSON object is
// XGBoost JSON, text starting with "tree" is LightGBM's model.txt, and
// anything else is tried as a legacy XGBoost binary model.
func Detect(data []byte) Format {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		head := trimmed[:min(len(trimmed), 4096)]
		if !bytes.Contains(head, []byte(`"learner"`)) && lightGBMJSONHead.Match(head) {
			return FormatLightGBMJSON
		}
		return FormatXGBoostJSON
	case bytes.HasPrefix(trimmed, []byte("tree\n")), bytes.HasPrefix(trimmed, []byte("tree\r\n")):
		return FormatLightGBM
	default:
		return FormatXGBoostBinary
	}
}

// Load parses a model file in the given format (FormatAuto: detected).
func Load(data []byte, format Format, opts Options) (m engine.Model, err error) {
	if format == FormatAuto {
		format = Detect(data)
	}
	if format == FormatXGBoostJSON {
		x, err := LoadXGBoostJSON(data, opts.Raw)
		if err != nil {
			return nil, err
		}
		return x, nil
	}
	// leaves' readers index into the file without bounds checks in places; a
	// corrupt file must become an error, not a crash of the caller.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("%s model is corrupt: %v", format, r)
		}
	}()
	var (
		e      *leaves.Ensemble
		absent = 0.0
	)
	switch format {
	case FormatLightGBM:
		e, err = leaves.LGEnsembleFromReader(bufio.NewReader(bytes.NewReader(data)), true)
	case FormatLightGBMJSON:
		// leaves reads JSON dumps only without their output transformation.
		if !opts.Raw {
			return nil, errors.New("lightgbm-json model: only raw margins can be scored from a LightGBM JSON dump; pass --raw or use the model.txt file")
		}
		e, err = leaves.LGEnsembleFromJSON(bytes.NewReader(data), false)
	case FormatXGBoostBinary:
		absent = math.NaN()
		e, err = leaves.XGEnsembleFromReader(bufio.NewReader(bytes.NewReader(data)), true)
		if err != nil && strings.Contains(err.Error(), "unknown transformation") {
			// leaves only knows binary:logistic; other objectives still
			// score as raw margins.
			if !opts.Raw {
				return nil, fmt.Errorf("xgboost binary model: %w (use raw margins to score it)", err)
			}
			e, err = leaves.XGEnsembleFromReader(bufio.NewReader(bytes.NewReader(data)), false)
		}
	default:
		return nil, fmt.Errorf("unknown model format %q", format)
	}
	if err != nil {
		return nil, fmt.Errorf("%s model: %w", format, err)
	}
	if e == nil || e.NFeatures() <= 0 {
		return nil, errors.New(string(format) + " model has no features")
	}
	return newLeaves(e, opts.Raw, absent), nil
}
