package metaapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"

	"gopkg.in/yaml.v3"

	"github.com/mlectl/mlectl/actuator"
	"github.com/mlectl/mlectl/registry"
)

// ModelConfig is one entry of the collector configuration's `models:`
// section: a model and its actuator declared in the (admin-controlled)
// config file instead of through the API.
type ModelConfig struct {
	Name        string          `yaml:"name"`
	Owner       string          `yaml:"owner,omitempty"`
	Description string          `yaml:"description,omitempty"`
	Actuator    actuator.Config `yaml:"actuator"`
}

// DecodeModels decodes the raw `models:` section strictly.
func DecodeModels(node *yaml.Node) ([]ModelConfig, error) {
	if node == nil || node.Kind == 0 {
		return nil, nil
	}
	raw, err := yaml.Marshal(node)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var out []ModelConfig
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	return out, nil
}

// applyModels creates or updates the declared models; a model whose stored
// settings already match is left alone so restarts do not bump revisions.
func applyModels(ctx context.Context, reg *registry.Registry, models []ModelConfig) error {
	for i, m := range models {
		cur, err := reg.Get(ctx, m.Name)
		switch {
		case err == nil && cur.Owner == m.Owner && cur.Description == m.Description && reflect.DeepEqual(cur.Actuator, m.Actuator):
			continue
		case err != nil && !errors.Is(err, registry.ErrNotFound):
			return err
		}
		if _, err := reg.PutModel(ctx, registry.Model{Name: m.Name, Owner: m.Owner, Description: m.Description, Actuator: m.Actuator}, "config"); err != nil {
			return fmt.Errorf("models[%d] (%s): %w", i, m.Name, err)
		}
	}
	return nil
}
