package auth

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// DecodeTokens decodes the collector configuration's `tokens:` section
// (kept as a raw yaml.Node by the collector) strictly: a misspelt key such
// as `tokn:` is an error, not a token without a secret.
func DecodeTokens(node *yaml.Node) ([]TokenSpec, error) {
	if node == nil || node.Kind == 0 {
		return nil, nil
	}
	raw, err := yaml.Marshal(node)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var specs []TokenSpec
	if err := dec.Decode(&specs); err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	return specs, nil
}
