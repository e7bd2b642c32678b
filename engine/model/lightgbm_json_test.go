package model

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// dumpLightGBMJSON writes Trees (read from model.txt) as LightGBM's
// Booster.dump_model() writes the same model (GBDT::DumpModel,
// Tree::NodeToJSON): the header, then each tree's nested tree_structure
// with split_feature, threshold (categories as "a||b||c" for "=="),
// decision_type, default_left, missing_type, internal_count and leaf
// counts, doubles at 17 significant digits. Leaf values are divided back
// by scale (average_output).
func dumpLightGBMJSON(t *Trees, objective string, averaged bool) []byte {
	var b bytes.Buffer
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', 17, 64) }
	scale := 1.0
	if averaged {
		scale = 1 / float64(len(t.Trees)/t.NumGroups)
	}
	fmt.Fprintf(&b, "{\n\"name\":\"tree\",\n\"version\":\"v4\",\n\"num_class\":%d,\n\"num_tree_per_iteration\":%d,\n\"label_index\":0,\n\"max_feature_idx\":%d,\n",
		t.NumGroups, t.NumGroups, t.NumFeatures-1)
	if objective != "" {
		fmt.Fprintf(&b, "\"objective\":%q,\n", objective)
	}
	fmt.Fprintf(&b, "\"average_output\":%v,\n\"feature_names\":[", averaged)
	for i := 0; i < t.NumFeatures; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "\"Column_%d\"", i)
	}
	b.WriteString("],\n\"monotone_constraints\":[],\n\"feature_infos\":{},\n\"tree_info\":[")
	for ti, tr := range t.Trees {
		if ti > 0 {
			b.WriteByte(',')
		}
		leaves, cats := 0, 0
		for _, nd := range tr.Nodes {
			if nd.Left < 0 {
				leaves++
			} else if nd.Split == SplitLightGBMCategory {
				cats++
			}
		}
		fmt.Fprintf(&b, "{\"tree_index\":%d,\"num_leaves\":%d,\"num_cat\":%d,\"shrinkage\":1,\n\"tree_structure\":", ti, leaves, cats)
		if len(tr.Nodes) == 1 {
			fmt.Fprintf(&b, "{\"leaf_value\":%s}}", num(tr.Nodes[0].Value/scale))
			continue
		}
		leaf, split := 0, 0
		var node func(i int32)
		node = func(i int32) {
			nd := tr.Nodes[i]
			if nd.Left < 0 {
				fmt.Fprintf(&b, "{\"leaf_index\":%d,\"leaf_value\":%s,\"leaf_weight\":0,\"leaf_count\":%s}", leaf, num(nd.Value/scale), num(nd.Cover))
				leaf++
				return
			}
			fmt.Fprintf(&b, "{\"split_index\":%d,\"split_feature\":%d,\"split_gain\":1,", split, nd.Feature)
			split++
			if nd.Split == SplitLightGBMCategory {
				var cats []string
				for c := 0; c < 64*len(t.CatSets[nd.CatSet]); c++ {
					if t.CatSets[nd.CatSet][c/64]>>(c%64)&1 != 0 {
						cats = append(cats, strconv.Itoa(c))
					}
				}
				fmt.Fprintf(&b, "\"threshold\":\"%s\",\n\"decision_type\":\"==\",", strings.Join(cats, "||"))
			} else {
				fmt.Fprintf(&b, "\"threshold\":%s,\n\"decision_type\":\"<=\",", num(nd.Threshold))
			}
			fmt.Fprintf(&b, "\"default_left\":%v,\"missing_type\":%q,\"internal_value\":0,\"internal_weight\":0,\"internal_count\":%s,\n\"left_child\":",
				nd.DefaultLeft, [...]string{"None", "Zero", "NaN"}[nd.Missing], num(nd.Cover))
			node(nd.Left)
			b.WriteString(",\n\"right_child\":")
			node(nd.Right)
			b.WriteByte('}')
		}
		node(0)
		b.WriteByte('}')
	}
	b.WriteString("],\n\"feature_importances\":{},\n\"pandas_categorical\":null\n}\n")
	return b.Bytes()
}

// canonicalTrees rewrites every tree's nodes in preorder (a node, its left
// subtree, its right one), the order the JSON reader numbers them in, and
// the category sets in that order without trailing zero words (model.txt
// numbers them by split index and keeps its 32-bit words), so Trees read
// from model.txt and from a dump compare with require.Equal.
func canonicalTrees(t *Trees) *Trees {
	out := *t
	out.Trees = make([]Tree, len(t.Trees))
	out.CatSets = nil
	for ti, tr := range t.Trees {
		var nodes []TreeNode
		var walk func(i int32) int32
		walk = func(i int32) int32 {
			self := int32(len(nodes))
			nd := tr.Nodes[i]
			if nd.Left < 0 {
				nd.Feature, nd.Split, nd.Missing, nd.DefaultLeft, nd.Threshold = 0, SplitLeaf, MissingNone, false, 0
			}
			if nd.CatSet >= 0 {
				set := t.CatSets[nd.CatSet]
				for len(set) > 0 && set[len(set)-1] == 0 {
					set = set[:len(set)-1]
				}
				nd.CatSet = int32(len(out.CatSets))
				out.CatSets = append(out.CatSets, set)
			}
			nodes = append(nodes, nd)
			if nd.Left >= 0 {
				l := walk(nd.Left)
				r := walk(nd.Right)
				nodes[self].Left, nodes[self].Right = l, r
			}
			return self
		}
		walk(0)
		out.Trees[ti] = Tree{Nodes: nodes, Group: tr.Group}
	}
	return &out
}

// lightGBMObjective is model.txt's objective line and whether it has
// average_output.
func lightGBMObjective(data []byte) (string, bool) {
	header, _, err := lightGBMBlocks(data)
	if err != nil {
		panic(err)
	}
	_, averaged := header["average_output"]
	return header["objective"], averaged
}

// TestLightGBMJSONMatchesModelTxt: each LightGBM fixture's model.txt,
// dumped as dump_model() writes it (categorical splits, every missing type,
// multiclass), reads into the same Trees, covers included, and scores bit
// for bit as model.txt does, raw margins and outputs, on rows built to take
// every branch. cmd/mlectl's tests compare model.txt with LightGBM's own
// predictions, and the real dump below with them too.
func TestLightGBMJSONMatchesModelTxt(t *testing.T) {
	for name, data := range lightGBMFiles(t) {
		t.Run(name, func(t *testing.T) {
			want, err := LoadLightGBMTrees(data)
			require.NoError(t, err)
			objective, averaged := lightGBMObjective(data)
			dump := dumpLightGBMJSON(want, objective, averaged)
			require.Equal(t, FormatLightGBMJSON, Detect(dump))
			got, err := LoadTrees(dump, FormatAuto)
			require.NoError(t, err)
			require.Equal(t, canonicalTrees(want), canonicalTrees(got))
			for _, raw := range []bool{true, false} {
				txt, err := LoadLightGBM(data, raw)
				require.NoError(t, err)
				m, err := Load(dump, FormatAuto, Options{Raw: raw})
				require.NoError(t, err)
				js, ok := m.(*LightGBM)
				require.True(t, ok, "%T", m)
				require.Equal(t, txt.NumTrees(), js.NumTrees())
				b := oddRows(3000, txt.NumFeatures(), 2)
				wantOut := make([]float64, b.Rows*txt.NumOutputs())
				require.NoError(t, txt.PredictBatch(b, wantOut))
				gotOut := make([]float64, len(wantOut))
				require.NoError(t, js.PredictBatch(b, gotOut))
				for i := range wantOut {
					require.Equal(t, math.Float64bits(wantOut[i]), math.Float64bits(gotOut[i]), "raw %v, row %d: model.txt %v, dump %v", raw, i/txt.NumOutputs(), wantOut[i], gotOut[i])
				}
			}
		})
	}
}

// TestLightGBMJSONRealDump: the dump LightGBM itself wrote of the breast
// cancer DART model (leaves' fixture, a v2 dump without objective) reads
// into the Trees of its model.txt, covers included, so it scores and
// explains as model.txt does; without an objective it scores raw only.
func TestLightGBMJSONRealDump(t *testing.T) {
	dump := readFixture(t, "lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.json")
	txt := readFixture(t, "lightgbm_breast_cancer_dart", "lg_dart_breast_cancer.model")
	want, err := LoadLightGBMTrees(txt)
	require.NoError(t, err)
	got, err := LoadTrees(dump, FormatAuto)
	require.NoError(t, err)
	want.Features = nil // model.txt's feature_names are Column_0…, the dump's too
	got.Features = nil
	require.Equal(t, canonicalTrees(want), canonicalTrees(got))
	m, err := Load(dump, FormatAuto, Options{Raw: true})
	require.NoError(t, err)
	require.Equal(t, "lightgbm.gbdt", m.(*LightGBM).Name())
	_, err = Load(dump, FormatAuto, Options{})
	require.ErrorContains(t, err, "lightgbm-json model: the file records no objective (pass --raw for the margins)")
}

// TestLightGBMJSONErrors: a corrupt, truncated or hostile dump is an error
// naming the JSON path (and byte offset) and what was wrong.
func TestLightGBMJSONErrors(t *testing.T) {
	head := `{"name":"tree","version":"v3","num_class":1,"num_tree_per_iteration":1,"max_feature_idx":1,"objective":"binary sigmoid:1","tree_info":[`
	split := func(fields string) string {
		return head + `{"num_leaves":2,"tree_structure":{"split_feature":0,` + fields + `,"left_child":{"leaf_value":1},"right_child":{"leaf_value":2}}}]}`
	}
	ok := split(`"threshold":0.5,"decision_type":"<=","default_left":true,"missing_type":"None"`)
	_, err := LoadLightGBMJSON([]byte(ok), false)
	require.NoError(t, err)
	deep := head + `{"tree_structure":` + strings.Repeat(`{"split_feature":0,"threshold":1,"decision_type":"<=","missing_type":"None","right_child":{"leaf_value":1},"left_child":`, 5000)
	cases := []struct{ name, doc, want string }{
		{"truncated", ok[:len(ok)/2], "tree_info[0]"},
		{"truncated says", ok[:len(ok)/2], "the file ends early: it is truncated"},
		{"truncated end", ok[:len(ok)-1], "the file ends early: it is truncated"},
		{"not json", "{nope", "lightgbm-json model: $ (byte"},
		{"trailing data", ok + "{}", "data after the end of the dump"},
		{"wrong name", strings.Replace(ok, `"tree"`, `"linear"`, 1), `name is "linear", not "tree"`},
		{"unknown version", strings.Replace(ok, `"v3"`, `"v9"`, 1), `version "v9" is not one of v2, v3, v4`},
		{"classes disagree", strings.Replace(ok, `"num_class":1`, `"num_class":2`, 1), "num_class 2 and num_tree_per_iteration 1 must be equal"},
		{"huge class count", strings.Replace(ok, `"num_class":1`, `"num_class":1e9`, 1), "num_class (byte"},
		{"no trees", head + `]}`, "0 trees for 1 classes"},
		{"threshold string", split(`"threshold":"x","decision_type":"<=","missing_type":"None"`), `tree_info[0].tree_structure (byte`},
		{"threshold string says", split(`"threshold":"x","decision_type":"<=","missing_type":"None"`), `decision_type "<=" needs a number threshold, got the string "x"`},
		{"threshold null", split(`"threshold":null,"decision_type":"<=","missing_type":"None"`), `tree_info[0].tree_structure.threshold (byte`},
		{"bad decision", split(`"threshold":1,"decision_type":"<","missing_type":"None"`), `decision_type "<" is not "<=" or "=="`},
		{"bad missing type", split(`"threshold":1,"decision_type":"<=","missing_type":"Nan"`), `missing_type "Nan" is not one of None, Zero, NaN`},
		{"bad category", split(`"threshold":"1||x","decision_type":"==","missing_type":"None"`), `category "x" of the "==" threshold is not a whole number >= 0`},
		{"huge category", split(`"threshold":"2147483647","decision_type":"==","missing_type":"None"`), "category 2147483647 needs a larger set than a file of this size can describe"},
		{"feature out of range", strings.Replace(ok, `"split_feature":0`, `"split_feature":5`, 1), "tree 0: node 0 splits on feature 5, the model has 2"},
		{"fractional feature", strings.Replace(ok, `"split_feature":0`, `"split_feature":0.5`, 1), "tree_info[0].tree_structure.split_feature (byte"},
		{"one child", head + `{"tree_structure":{"split_feature":0,"threshold":1,"decision_type":"<=","missing_type":"None","left_child":{"leaf_value":1}}}]}`, "a split needs both left_child and right_child"},
		{"empty node", head + `{"tree_structure":{}}]}`, "a node needs either leaf_value or both left_child and right_child"},
		{"no tree_structure", head + `{"num_leaves":1}]}`, "tree_info[0] (byte"},
		{"num_leaves disagrees", strings.Replace(ok, `"num_leaves":2`, `"num_leaves":3`, 1), "tree_info[0]: num_leaves is 3, tree_structure has 2 leaves"},
		{"linear tree", head + `{"tree_structure":{"leaf_value":1,"leaf_coeff":[1]}}]}`, "linear trees (linear_tree=true) are not supported"},
		{"deep nesting", deep, "tree nodes nested deeper than 4096 levels"},
		{"leaf value not a number", head + `{"tree_structure":{"leaf_value":"1"}}]}`, `tree_info[0].tree_structure.leaf_value (byte`},
		{"number out of range", head + `{"tree_structure":{"leaf_value":1e400}}]}`, "tree_info[0].tree_structure.leaf_value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]byte(tc.doc), FormatLightGBMJSON, Options{})
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, "lightgbm-json model")
		})
	}
	// A dump without counts scores but has no Trees for TreeSHAP.
	_, err = LoadTrees([]byte(ok), FormatLightGBMJSON)
	require.ErrorContains(t, err, "lightgbm-json model: the dump has no internal_count and leaf_count for every node; TreeSHAP needs the node counts")
}
