package gameday

import (
	"context"
	"errors"

	"github.com/mlectl/mlectl/predlog/store"
	"github.com/mlectl/mlectl/registry"
)

// RegistryLookup is the part of the model registry KnownModels uses.
type RegistryLookup interface {
	Get(ctx context.Context, name string) (registry.ModelState, error)
}

// LogModels is the part of the prediction log KnownModels uses.
type LogModels interface {
	Models(ctx context.Context) ([]store.ModelVersion, error)
}

// KnownModels is a ModelChecker: a model is known when it is registered or
// has logged predictions (records of unregistered models are accepted, so
// they can be injected into too). Either part may be nil.
type KnownModels struct {
	Registry RegistryLookup
	Log      LogModels
}

// ModelKnown implements ModelChecker.
func (k KnownModels) ModelKnown(ctx context.Context, model string) (bool, error) {
	if k.Registry != nil {
		_, err := k.Registry.Get(ctx, model)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, registry.ErrNotFound) {
			return false, err
		}
	}
	if k.Log != nil {
		mvs, err := k.Log.Models(ctx)
		if err != nil {
			return false, err
		}
		for _, mv := range mvs {
			if mv.Model == model {
				return true, nil
			}
		}
	}
	return k.Registry == nil && k.Log == nil, nil
}
