package model

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"

	"github.com/mlectl/mlectl/engine"
)

// Format names a model file format.
type Format string

// Model file formats Load understands.
const (
	FormatAuto          Format = ""
	FormatXGBoostJSON   Format = "xgboost-json"
	FormatXGBoostUBJSON Format = "xgboost-ubj"
	// FormatXGBoostBinary is XGBoost's binary format: "binf" (1.0 and
	// later) or the headerless legacy format from before 1.0.
	FormatXGBoostBinary Format = "xgboost"
	FormatLightGBM      Format = "lightgbm"
	FormatLightGBMJSON  Format = "lightgbm-json"
)

// Formats lists the explicit formats, for help texts.
func Formats() []Format {
	return []Format{FormatXGBoostJSON, FormatXGBoostUBJSON, FormatXGBoostBinary, FormatLightGBM, FormatLightGBMJSON}
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

// Detect guesses a model's format from its content: '{' followed by a
// UBJSON length marker (a letter, as XGBoost itself tells them apart) is
// XGBoost UBJSON, a JSON object starting with "name": "tree" is a LightGBM
// JSON dump, any other JSON object is XGBoost JSON, text starting with
// "tree" is LightGBM's model.txt, and anything else is tried as an XGBoost
// binary model ("binf", or legacy without a header).
func Detect(data []byte) Format {
	if len(data) > 1 && data[0] == '{' && isASCIILetter(data[1]) {
		return FormatXGBoostUBJSON
	}
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

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// Describe names a detected format for the operator, with the variant the
// content shows (binf or pre-1.0 binary and the XGBoost version it records).
func Describe(data []byte, f Format) string {
	switch f {
	case FormatXGBoostJSON:
		return "xgboost-json (XGBoost JSON model)"
	case FormatXGBoostUBJSON:
		return "xgboost-ubj (XGBoost UBJSON model)"
	case FormatXGBoostBinary:
		if bytes.HasPrefix(data, []byte(binfHeader)) {
			if len(data) >= len(binfHeader)+learnerParamSize {
				p := data[len(binfHeader):]
				return fmt.Sprintf("xgboost (XGBoost binf binary model, saved by XGBoost %d.%d)",
					binary.LittleEndian.Uint32(p[20:]), binary.LittleEndian.Uint32(p[24:]))
			}
			return "xgboost (XGBoost binf binary model)"
		}
		return "xgboost (XGBoost binary model without header, pre-1.0)"
	case FormatLightGBM:
		return "lightgbm (LightGBM model.txt)"
	case FormatLightGBMJSON:
		return "lightgbm-json (LightGBM JSON dump)"
	}
	return string(f)
}

// Load parses a model file in the given format (FormatAuto: detected).
func Load(data []byte, format Format, opts Options) (m engine.Model, err error) {
	if format == FormatAuto {
		format = Detect(data)
	}
	var x *XGBoostJSON
	switch format {
	case FormatXGBoostJSON:
		x, err = LoadXGBoostJSON(data, opts.Raw)
	case FormatXGBoostUBJSON:
		x, err = LoadXGBoostUBJSON(data, opts.Raw)
	case FormatXGBoostBinary:
		x, err = LoadXGBoostBinary(data, opts.Raw)
	}
	if err != nil {
		return nil, err
	}
	if x != nil {
		return x, nil
	}
	switch format {
	case FormatLightGBM:
		return LoadLightGBM(data, opts.Raw)
	case FormatLightGBMJSON:
		return LoadLightGBMJSON(data, opts.Raw)
	}
	return nil, fmt.Errorf("unknown model format %q", format)
}
