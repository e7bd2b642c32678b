package explain

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mlectl/mlectl/engine/internal/xgbjson"
)

// xgbDoc is the part of XGBoost's JSON model schema TreeSHAP needs: the
// tree arrays with sum_hessian, base_score and the objective.
type xgbDoc struct {
	Learner struct {
		FeatureNames []string `json:"feature_names"`
		Param        struct {
			BaseScore  string `json:"base_score"`
			NumClass   string `json:"num_class"`
			NumFeature string `json:"num_feature"`
			NumTarget  string `json:"num_target"`
		} `json:"learner_model_param"`
		Objective struct {
			Name string `json:"name"`
		} `json:"objective"`
		Booster struct {
			Name   string     `json:"name"`
			Model  *xgbGBTree `json:"model"`
			GBTree *struct {
				Model *xgbGBTree `json:"model"`
			} `json:"gbtree"`
			WeightDrop []float64 `json:"weight_drop"`
		} `json:"gradient_booster"`
	} `json:"learner"`
}

type xgbGBTree struct {
	TreeInfo []int     `json:"tree_info"`
	Trees    []xgbTree `json:"trees"`
}

type xgbTree struct {
	Left               []int32   `json:"left_children"`
	Right              []int32   `json:"right_children"`
	SplitIndices       []int32   `json:"split_indices"`
	SplitConditions    []jsonNum `json:"split_conditions"`
	DefaultLeft        []jsonNum `json:"default_left"`
	SumHessian         []jsonNum `json:"sum_hessian"`
	SplitType          []int     `json:"split_type"`
	Categories         []int32   `json:"categories"`
	CategoriesNodes    []int32   `json:"categories_nodes"`
	CategoriesSegments []int64   `json:"categories_segments"`
	CategoriesSizes    []int64   `json:"categories_sizes"`
	TreeParam          struct {
		SizeLeafVector string `json:"size_leaf_vector"`
	} `json:"tree_param"`
}

// jsonNum is a number that also accepts booleans (default_left in older
// files) and the NaN/Infinity tokens XGBoost writes, once quoted.
type jsonNum float64

func (n *jsonNum) UnmarshalJSON(p []byte) error {
	s := strings.Trim(string(p), `"`)
	switch s {
	case "true":
		*n = 1
		return nil
	case "false":
		*n = 0
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	var ne *strconv.NumError
	if err != nil && !(errors.As(err, &ne) && ne.Err == strconv.ErrRange) {
		return fmt.Errorf("%s is not a number", p)
	}
	*n = jsonNum(v)
	return nil
}

// logisticObjectives store base_score as a probability (margin = logit);
// logObjectives as a mean (margin = log).
var (
	logisticObjectives = map[string]bool{"reg:logistic": true, "binary:logistic": true, "binary:logitraw": true}
	logObjectives      = map[string]bool{"count:poisson": true, "reg:gamma": true, "reg:tweedie": true}
)

// LoadXGBoostJSON reads an XGBoost JSON model (1.x or 2.x schema) with its
// sum_hessian covers.
func LoadXGBoostJSON(data []byte) (*Forest, error) {
	var doc xgbDoc
	if err := json.Unmarshal(xgbjson.QuoteNonFinite(data), &doc); err != nil {
		return nil, fmt.Errorf("xgboost json: %w", err)
	}
	l := &doc.Learner
	gbt := l.Booster.Model
	var weights []float64
	switch l.Booster.Name {
	case "gbtree", "":
	case "dart":
		if l.Booster.GBTree != nil {
			gbt = l.Booster.GBTree.Model
		}
		weights = l.Booster.WeightDrop
	default:
		return nil, fmt.Errorf("xgboost json: booster %q has no trees to explain (want gbtree or dart)", l.Booster.Name)
	}
	if gbt == nil || len(gbt.Trees) == 0 {
		return nil, errors.New("xgboost json: the model has no trees")
	}
	if len(gbt.TreeInfo) != len(gbt.Trees) {
		return nil, fmt.Errorf("xgboost json: tree_info has %d entries for %d trees", len(gbt.TreeInfo), len(gbt.Trees))
	}
	if weights != nil && len(weights) != len(gbt.Trees) {
		return nil, fmt.Errorf("xgboost json: weight_drop has %d entries for %d trees", len(weights), len(gbt.Trees))
	}
	numFeatures, err := strconv.Atoi(l.Param.NumFeature)
	if err != nil {
		return nil, fmt.Errorf("xgboost json: learner_model_param.num_feature %q is not an integer", l.Param.NumFeature)
	}
	numGroups := 1
	if s := l.Param.NumClass; s != "" && s != "0" {
		if numGroups, err = strconv.Atoi(s); err != nil || numGroups < 1 {
			return nil, fmt.Errorf("xgboost json: learner_model_param.num_class %q is not a positive integer", s)
		}
	}
	if s := l.Param.NumTarget; s != "" && s != "0" && s != "1" {
		if numGroups, err = strconv.Atoi(s); err != nil || numGroups < 1 {
			return nil, fmt.Errorf("xgboost json: learner_model_param.num_target %q is not a positive integer", s)
		}
	}
	base, err := xgbjson.ParseBaseScore(l.Param.BaseScore)
	if err != nil {
		return nil, fmt.Errorf("xgboost json: %w", err)
	}
	switch obj := l.Objective.Name; {
	case logisticObjectives[obj]:
		q := float32(base)
		base = float64(-float32(math.Log(float64(1/q - 1))))
	case logObjectives[obj]:
		base = float64(float32(math.Log(base)))
	}
	f := &Forest{numFeatures: numFeatures, numGroups: numGroups, baseMargin: base, features: l.FeatureNames, absent: math.NaN()}
	if len(f.features) != 0 && len(f.features) != numFeatures {
		f.features = nil
	}
	for i := range gbt.Trees {
		w := 1.0
		if weights != nil {
			w = float64(float32(weights[i]))
		}
		t, err := f.xgbTree(&gbt.Trees[i], w)
		if err != nil {
			return nil, fmt.Errorf("xgboost json: tree %d: %w", i, err)
		}
		t.group = gbt.TreeInfo[i]
		f.trees = append(f.trees, t)
	}
	if err := f.finish(); err != nil {
		return nil, fmt.Errorf("xgboost json: %w", err)
	}
	return f, nil
}

func (f *Forest) xgbTree(x *xgbTree, w float64) (tree, error) {
	if v := x.TreeParam.SizeLeafVector; v != "" && v != "0" && v != "1" {
		return tree{}, errors.New("vector leaves (multi_output_tree) are not supported")
	}
	n := len(x.Left)
	if n == 0 {
		return tree{}, errors.New("no nodes")
	}
	if len(x.Right) != n || len(x.SplitIndices) != n || len(x.SplitConditions) != n || len(x.DefaultLeft) != n {
		return tree{}, errors.New("node arrays have different lengths")
	}
	if len(x.SumHessian) != n {
		return tree{}, fmt.Errorf("sum_hessian has %d entries for %d nodes; TreeSHAP needs the covers", len(x.SumHessian), n)
	}
	if len(x.SplitType) != 0 && len(x.SplitType) != n {
		return tree{}, errors.New("split_type has the wrong length")
	}
	cats := make(map[int32]int32)
	for k, id := range x.CategoriesNodes {
		if k >= len(x.CategoriesSegments) || k >= len(x.CategoriesSizes) {
			return tree{}, errors.New("categories arrays differ in length")
		}
		seg, size := x.CategoriesSegments[k], x.CategoriesSizes[k]
		if seg < 0 || size < 0 || seg > int64(len(x.Categories)) || size > int64(len(x.Categories))-seg {
			return tree{}, errors.New("categorical split points outside the categories array")
		}
		var set []uint64
		for _, c := range x.Categories[seg : seg+size] {
			if c < 0 || c >= maxCategory {
				return tree{}, fmt.Errorf("category %d is out of range", c)
			}
			for len(set) <= int(c)/64 {
				set = append(set, 0)
			}
			set[c/64] |= 1 << (uint(c) % 64)
		}
		cats[id] = int32(len(f.catSets))
		f.catSets = append(f.catSets, set)
	}
	t := tree{nodes: make([]node, n)}
	for i := range t.nodes {
		nd := &t.nodes[i]
		nd.cover = float64(float32(x.SumHessian[i]))
		if x.Left[i] == -1 {
			nd.kind = kindLeaf
			nd.value = float64(float32(x.SplitConditions[i])) * w
			continue
		}
		nd.left, nd.right, nd.feature = x.Left[i], x.Right[i], x.SplitIndices[i]
		if x.DefaultLeft[i] != 0 {
			nd.flags |= flagDefaultLeft
		}
		if len(x.SplitType) != 0 && x.SplitType[i] == 1 {
			c, ok := cats[int32(i)]
			if !ok {
				return tree{}, fmt.Errorf("node %d is a categorical split without categories", i)
			}
			nd.kind, nd.cat = kindXGBCat, c
		} else {
			nd.kind = kindXGB
			nd.threshold = float64(float32(x.SplitConditions[i]))
		}
	}
	return t, nil
}
