package explain

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Legacy (pre-1.0) XGBoost binary model layout, as github.com/dmitryikh/leaves
// reads it; all little-endian.
type (
	xgbinLearnerParam struct {
		BaseScore          float32 // already a margin in this format
		NumFeatures        uint32
		NumClass           int32
		ContainExtraAttrs  int32
		ContainEvalMetrics int32
		Reserved           [29]int32
	}
	xgbinGBTreeParam struct {
		NumTrees             int32
		NumRoots             int32
		NumFeature           int32
		Pad32bit             int32
		NumPbufferDeprecated int64
		NumOutputGroup       int32
		SizeLeafVector       int32
		Reserved             [32]int32
	}
	xgbinTreeParam struct {
		NumRoots       int32
		NumNodes       int32
		NumDeleted     int32
		MaxDepth       int32
		NumFeature     int32
		SizeLeafVector int32
		Reserved       [31]int32
	}
	xgbinNode struct {
		Parent, CLeft, CRight int32
		SIndex                uint32 // feature | default-left << 31
		Info                  float32
	}
	xgbinStat struct {
		LossChg, SumHess, BaseWeight float32
		LeafChildCnt                 int32
	}
)

// maxXGBinNodes bounds allocations from a corrupt header.
const maxXGBinNodes = 1 << 24

// LoadXGBoostBinary reads a legacy XGBoost binary model with the sum_hess
// node statistics. Splits follow leaves' reading of these files (which
// engine/model scores them with): x <= threshold, NaN to the default
// child, base_score used as the margin, so contributions add up to the
// engine's margins.
func LoadXGBoostBinary(data []byte) (*Forest, error) {
	// XGBoost 1.0 and later put "binf" before the same layout the
	// headerless pre-1.0 files have (engine/model reads both the same way).
	f, err := loadXGBin(bytes.NewReader(bytes.TrimPrefix(data, []byte("binf"))))
	if err != nil {
		return nil, fmt.Errorf("xgboost binary model: %w", err)
	}
	return f, nil
}

func loadXGBin(r *bytes.Reader) (*Forest, error) {
	le := binary.LittleEndian
	var lp xgbinLearnerParam
	if err := binary.Read(r, le, &lp); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	objective, err := xgbinString(r)
	if err != nil {
		return nil, err
	}
	gbm, err := xgbinString(r)
	if err != nil {
		return nil, err
	}
	if gbm != "gbtree" && gbm != "dart" {
		return nil, fmt.Errorf("booster %q has no trees to explain (want gbtree or dart)", gbm)
	}
	var gp xgbinGBTreeParam
	if err := binary.Read(r, le, &gp); err != nil {
		return nil, fmt.Errorf("booster header: %w", err)
	}
	// XGBoost 1.0 and later ("binf") record their major version in the
	// first reserved field, leave num_output_group at zero (the groups are
	// num_class, or num_target from 1.7) and save base_score as XGBoost's
	// JSON does: a probability or mean, not a margin.
	base := float64(lp.BaseScore)
	if major := lp.Reserved[0]; major >= 1 {
		if gp.NumOutputGroup == 0 {
			gp.NumOutputGroup = max(lp.NumClass, lp.Reserved[2], 1)
		}
		switch {
		case logisticObjectives[objective]:
			base = float64(-float32(math.Log(float64(1/lp.BaseScore - 1))))
		case logObjectives[objective]:
			base = float64(float32(math.Log(base)))
		}
	}
	if lp.NumFeatures == 0 || lp.NumFeatures > maxXGBinNodes || gp.NumTrees <= 0 || gp.NumTrees > maxXGBinNodes || gp.NumOutputGroup <= 0 || gp.NumOutputGroup > maxXGBinNodes {
		return nil, fmt.Errorf("header has %d features, %d trees, %d output groups", lp.NumFeatures, gp.NumTrees, gp.NumOutputGroup)
	}
	f := &Forest{numFeatures: int(lp.NumFeatures), numGroups: int(gp.NumOutputGroup), baseMargin: base, absent: math.NaN()}
	for i := 0; i < int(gp.NumTrees); i++ {
		var tp xgbinTreeParam
		if err := binary.Read(r, le, &tp); err != nil {
			return nil, fmt.Errorf("tree %d: %w", i, err)
		}
		if tp.NumRoots != 1 || tp.NumNodes <= 0 || tp.NumNodes > maxXGBinNodes {
			return nil, fmt.Errorf("tree %d has %d roots and %d nodes", i, tp.NumRoots, tp.NumNodes)
		}
		if int(tp.NumNodes)*(20+16) > r.Len() {
			return nil, fmt.Errorf("tree %d claims %d nodes, more than the file holds", i, tp.NumNodes)
		}
		nodes := make([]xgbinNode, tp.NumNodes)
		stats := make([]xgbinStat, tp.NumNodes)
		if err := binary.Read(r, le, nodes); err != nil {
			return nil, fmt.Errorf("tree %d nodes: %w", i, err)
		}
		if err := binary.Read(r, le, stats); err != nil {
			return nil, fmt.Errorf("tree %d statistics: %w", i, err)
		}
		if tp.SizeLeafVector > 0 {
			return nil, fmt.Errorf("tree %d has vector leaves, which are not supported", i)
		}
		t := tree{nodes: make([]node, len(nodes))}
		for k, xn := range nodes {
			nd := &t.nodes[k]
			nd.cover = float64(stats[k].SumHess)
			if xn.CLeft == -1 {
				nd.kind, nd.value = kindLeaf, float64(xn.Info)
				continue
			}
			// engine/model scores these files with XGBoost's own rule (float32(x) <
			// threshold), so contributions add up to its margins.
			nd.kind, nd.threshold = kindXGB, float64(xn.Info)
			nd.left, nd.right = xn.CLeft, xn.CRight
			nd.feature = int32(xn.SIndex & (1<<31 - 1))
			nd.flags = flagMissingNaN
			if xn.SIndex>>31 != 0 {
				nd.flags |= flagDefaultLeft
			}
		}
		f.trees = append(f.trees, t)
	}
	info := make([]int32, gp.NumTrees)
	if err := binary.Read(r, le, info); err != nil {
		return nil, fmt.Errorf("tree_info: %w", err)
	}
	if gbm == "dart" {
		n, err := xgbinLen(r)
		if err != nil || n != uint64(gp.NumTrees) {
			return nil, fmt.Errorf("dart weight_drop has %d entries for %d trees (%v)", n, gp.NumTrees, err)
		}
		weights := make([]float32, n)
		if err := binary.Read(r, le, weights); err != nil {
			return nil, fmt.Errorf("dart weight_drop: %w", err)
		}
		for i := range f.trees {
			for k := range f.trees[i].nodes {
				f.trees[i].nodes[k].value *= float64(weights[i])
			}
		}
	}
	for i := range f.trees {
		f.trees[i].group = int(info[i])
	}
	if err := f.finish(); err != nil {
		return nil, err
	}
	return f, nil
}

func xgbinLen(r *bytes.Reader) (uint64, error) {
	var n uint64
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return 0, err
	}
	if n > uint64(r.Len()) {
		return 0, errors.New("length runs past the end of the file")
	}
	return n, nil
}

func xgbinString(r *bytes.Reader) (string, error) {
	n, err := xgbinLen(r)
	if err != nil {
		return "", fmt.Errorf("header string: %w", err)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("header string: %w", err)
	}
	return string(b), nil
}
