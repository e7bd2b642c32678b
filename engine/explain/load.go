package explain

import (
	"fmt"

	"github.com/mlectl/mlectl/engine/model"
)

// Load reads a model file in the given format (model.FormatAuto: detected
// by content, as engine/model does) into a Forest with its covers.
func Load(data []byte, format model.Format) (*Forest, error) {
	if format == model.FormatAuto {
		format = model.Detect(data)
	}
	switch format {
	case model.FormatXGBoostJSON:
		return LoadXGBoostJSON(data)
	case model.FormatXGBoostUBJSON:
		// The same document as the JSON format, in Universal Binary JSON.
		doc, err := model.UBJSONToJSON(data)
		if err != nil {
			return nil, fmt.Errorf("xgboost ubjson model: %w", err)
		}
		return LoadXGBoostJSON(doc)
	case model.FormatLightGBM:
		return LoadLightGBM(data)
	case model.FormatXGBoostBinary:
		return LoadXGBoostBinary(data)
	case model.FormatLightGBMJSON:
		return nil, fmt.Errorf("lightgbm-json model: a JSON dump has no node counts to explain with; use the model.txt file")
	}
	return nil, fmt.Errorf("unknown model format %q", format)
}
