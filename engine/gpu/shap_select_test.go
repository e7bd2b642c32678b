package gpu

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlectl/mlectl/engine"
	"github.com/mlectl/mlectl/engine/explain"
	"github.com/mlectl/mlectl/engine/model"
)

// chainForest is one tree of the given depth: a chain of XGBoost splits on
// three features in turn (so features repeat along the path and TreeSHAP
// unwinds them), each with a leaf on its left.
func chainForest(t testing.TB, depth int) *explain.Forest {
	t.Helper()
	var nodes []model.TreeNode
	for i := 0; i < depth; i++ {
		self := int32(len(nodes))
		nodes = append(nodes,
			model.TreeNode{Split: model.SplitXGBoost, Feature: int32(i % 3), Threshold: float64(i%5) / 5, Cover: float64(depth - i + 1),
				Left: self + 1, Right: self + 2, CatSet: -1, DefaultLeft: i%2 == 0},
			model.TreeNode{Split: model.SplitLeaf, Value: float64(i%7) - 3, Cover: 1, CatSet: -1})
	}
	nodes = append(nodes, model.TreeNode{Split: model.SplitLeaf, Value: 0.5, Cover: 1, CatSet: -1})
	f, err := explain.FromTrees(&model.Trees{Trees: []model.Tree{{Nodes: nodes}}, NumFeatures: 3, NumGroups: 1, BaseMargin: 0.25, Absent: math.NaN()})
	require.NoError(t, err)
	require.Equal(t, depth, f.MaxDepth())
	return f
}

// chainRows is rows of three features in [0, 1) with some NaNs.
func chainRows(n int) engine.Batch {
	b := engine.NewBatch(n, 3)
	for i := range b.Values {
		b.Values[i] = float64((i*7919)%100) / 100
		if i%11 == 0 {
			b.Values[i] = math.NaN()
		}
	}
	return b
}

// TestOpenCLExplainDeepTrees: a tree at the kernels' depth bound (32, the
// largest path buffer, every feature split on ten times) explains on the
// device exactly as on the CPU; one level deeper is refused by the device
// explainer and by SelectExplainer, and auto takes the CPU saying why.
func TestOpenCLExplainDeepTrees(t *testing.T) {
	o := openTestDevice(t)
	e := NewOpenCLExplainer(o, ExplainOptions{})
	defer e.Close()
	ctx := context.Background()
	b := chainRows(100)
	for _, depth := range []int{5, MaxExplainDepth} {
		f := chainForest(t, depth)
		want := make([]float64, b.Rows*f.Width())
		require.NoError(t, explain.NewExplainer(f).Explain(ctx, b, want))
		got := make([]float64, len(want))
		require.NoError(t, e.Explain(ctx, f, b, got))
		require.Equal(t, want, got, "depth %d", depth)
	}
	deep := chainForest(t, MaxExplainDepth+1)
	err := e.Explain(ctx, deep, b, make([]float64, b.Rows*deep.Width()))
	require.ErrorIs(t, err, ErrTooDeep)
	_, err = SelectExplainer(BackendOpenCL, deep, ExplainSelectOptions{AllowCPU: true})
	require.ErrorIs(t, err, ErrTooDeep)
	s, err := SelectExplainer(BackendAuto, deep, ExplainSelectOptions{})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, BackendCPU, s.Name)
	require.Contains(t, s.Reason, "deeper than the device TreeSHAP kernel's bound")
}

// TestSelectExplainer: cpu and explicit opencl (POCL here) select what
// they name and say on which device and in which precision; unknown names
// are refused; auto on a machine without a GPU takes the CPU and says why.
func TestSelectExplainer(t *testing.T) {
	f := chainForest(t, 4)
	s, err := SelectExplainer(BackendCPU, f, ExplainSelectOptions{})
	require.NoError(t, err)
	require.Equal(t, "cpu", s.Reason)
	_, err = SelectExplainer("tpu", f, ExplainSelectOptions{})
	require.ErrorContains(t, err, `unknown backend "tpu"`)

	openTestDevice(t) // skips without an OpenCL platform
	s, err = SelectExplainer(BackendOpenCL, f, ExplainSelectOptions{AllowCPU: true})
	require.NoError(t, err)
	require.Equal(t, BackendOpenCL, s.Name)
	require.Regexp(t, `^opencl on .+ \((double|float)\)$`, s.Reason)
	b := chainRows(10)
	got, want := make([]float64, b.Rows*f.Width()), make([]float64, b.Rows*f.Width())
	require.NoError(t, s.Explainer.Explain(context.Background(), f, b, got))
	require.NoError(t, CPUExplainer{}.Explain(context.Background(), f, b, want))
	require.Equal(t, want, got)
	require.NoError(t, s.Close())

	s, err = SelectExplainer(BackendAuto, f, ExplainSelectOptions{})
	require.NoError(t, err)
	defer s.Close()
	if s.Name != BackendCPU {
		t.Logf("this machine has a GPU: auto chose %s", s.Reason)
		return
	}
	require.Contains(t, s.Reason, "cpu (auto: no usable CUDA GPU:")
	require.Contains(t, s.Reason, "no usable OpenCL GPU")
}

type failingExplainer struct{ calls int }

func (f *failingExplainer) Explain(context.Context, *explain.Forest, engine.Batch, []float64) error {
	f.calls++
	return errors.New("device lost")
}

// TestExplainFallback: a batch the device fails on is explained on the CPU
// and counted (the callback is mle_engine_fallbacks_total's); a cancelled
// context is not retried.
func TestExplainFallback(t *testing.T) {
	f := chainForest(t, 6)
	b := chainRows(20)
	primary := &failingExplainer{}
	var counted []string
	fb := &ExplainFallback{Primary: primary, Secondary: CPUExplainer{}, Name: BackendOpenCL, OnFallback: func() { counted = append(counted, BackendOpenCL) }}
	got, want := make([]float64, b.Rows*f.Width()), make([]float64, b.Rows*f.Width())
	require.NoError(t, fb.Explain(context.Background(), f, b, got))
	require.NoError(t, fb.Explain(context.Background(), f, b, got))
	require.NoError(t, CPUExplainer{}.Explain(context.Background(), f, b, want))
	require.Equal(t, want, got)
	require.EqualValues(t, 2, fb.Fallbacks())
	require.Equal(t, []string{"opencl", "opencl"}, counted)
	require.ErrorContains(t, fb.LastError(), "device lost")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.Error(t, fb.Explain(ctx, f, b, got))
	require.EqualValues(t, 2, fb.Fallbacks())
}
