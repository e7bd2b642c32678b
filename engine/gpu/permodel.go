package gpu

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/mlectl/mlectl/engine"
)

// maxPerModel bounds the models PerModel keeps a choice (and device
// memory) for; the least recently scored one is forgotten beyond it.
const maxPerModel = 16

// PerModel is the engine.Backend of a process that scores many models (the
// collector's live and replay shadow): each model gets the backend Name
// selects for it (Select's rules), on devices opened once and shared. The
// choice and its reason are logged once per model. A model Select refuses
// (a LightGBM model on "cuda", or on an OpenCL device without cl_khr_fp64)
// is scored on the CPU, with the refusal
// as its reason. Safe for concurrent use.
type PerModel struct {
	name    string
	workers int
	log     *slog.Logger
	devices *Devices

	mu     sync.Mutex
	chosen map[engine.Model]Selection
	order  []engine.Model // least recently chosen first
}

// PerModelOptions configure NewPerModel.
type PerModelOptions struct {
	// Name is auto, cpu, opencl or cuda ("" is auto).
	Name string
	// AllowCPU lets "opencl" take a CPU device (POCL) when there is no GPU.
	AllowCPU bool
	// Workers is the CPU backend's goroutines (<= 0: GOMAXPROCS).
	Workers int
	// OnFallback is called with the backend's name for each batch a
	// device failed on and the CPU scored.
	OnFallback func(backend string)
	Logger     *slog.Logger
}

// NewPerModel checks the name and, for opencl and cuda, opens the device
// now, so that a machine without it fails at start-up with the reason.
func NewPerModel(opts PerModelOptions) (*PerModel, error) {
	if err := ParseBackend(opts.Name); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	p := &PerModel{name: opts.Name, workers: opts.Workers, log: opts.Logger,
		devices: &Devices{AllowCPU: opts.AllowCPU, OnFallback: opts.OnFallback}, chosen: map[engine.Model]Selection{}}
	if err := p.devices.Probe(opts.Name); err != nil {
		_ = p.devices.Close()
		return nil, err
	}
	return p, nil
}

// choose returns m's selection, selecting it on first use.
func (p *PerModel) choose(m engine.Model) Selection {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.chosen[m]; ok {
		return s
	}
	s, err := p.devices.Select(p.name, m)
	if err != nil {
		s = Selection{Backend: engine.CPU{}, Name: BackendCPU, Reason: fmt.Sprintf("cpu (%s: %v)", p.name, err)}
	}
	if s.Name == BackendCPU {
		s.Backend = engine.CPU{Workers: p.workers}
	}
	p.log.Info("scoring backend chosen", "backend", s.Name, "reason", s.Reason, "model_type", fmt.Sprintf("%T", m), "features", m.NumFeatures())
	if len(p.order) >= maxPerModel {
		old := p.order[0]
		p.order = p.order[1:]
		delete(p.chosen, old)
		p.devices.forget(old)
	}
	p.chosen[m] = s
	p.order = append(p.order, m)
	return s
}

// Score implements engine.Backend.
func (p *PerModel) Score(ctx context.Context, m engine.Model, b engine.Batch, out []float64) error {
	return p.choose(m).Backend.Score(ctx, m, b, out)
}

// Describe says which backend and device score m, and why: what reports
// show ("opencl on NVIDIA CUDA: NVIDIA H100", "cpu (auto: no OpenCL GPU: …)").
func (p *PerModel) Describe(m engine.Model) string { return p.choose(m).Reason }

// Forget drops m's choice and releases its device memory (a replayed
// candidate that will not be scored again).
func (p *PerModel) Forget(m engine.Model) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.chosen[m]; !ok {
		return
	}
	delete(p.chosen, m)
	for i, o := range p.order {
		if o == m {
			p.order = append(p.order[:i], p.order[i+1:]...)
			break
		}
	}
	p.devices.forget(m)
}

// Close releases the devices.
func (p *PerModel) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.chosen)
	p.order = nil
	return p.devices.Close()
}
