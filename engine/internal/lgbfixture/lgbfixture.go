package lgbfixture

import (
	"strconv"
	"strings"
)

// CycleMissingTypes gives numeric split k of a model.txt the decision_type
// (k mod 6)·2: default left or right, missing type None, Zero or NaN. The
// fixtures' own numeric splits are all "None, default left", so the Zero
// and NaN paths need this variant.
func CycleMissingTypes(modelTxt string) string {
	lines := strings.Split(modelTxt, "\n")
	k := 0
	for i, line := range lines {
		list, ok := strings.CutPrefix(line, "decision_type=")
		if !ok {
			continue
		}
		fields := strings.Fields(list)
		for j, f := range fields {
			if dt, err := strconv.Atoi(f); err == nil && dt&1 == 0 {
				fields[j] = strconv.Itoa(k % 6 * 2)
				k++
			}
		}
		lines[i] = "decision_type=" + strings.Join(fields, " ")
	}
	return strings.Join(lines, "\n")
}
