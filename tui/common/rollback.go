package common

import (
	"slices"

	wire "github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/client"
)

// RollbackTargets are the versions a rollback of st may go to, the
// registry's default first: earlier production versions newest first, then
// the other versions that are not archived (the CLI's --to takes any).
// The notes say what each is.
func RollbackTargets(st client.ModelState) ([]string, map[string]string) {
	var out []string
	notes := map[string]string{}
	stage := map[string]wire.Stage{}
	for _, x := range st.Versions {
		stage[x.Version] = x.Stage
	}
	for i := len(st.ProductionHistory) - 1; i >= 0; i-- {
		ver := st.ProductionHistory[i]
		if ver == st.Production || stage[ver] == wire.StageArchived || slices.Contains(out, ver) {
			continue
		}
		if len(out) == 0 {
			notes[ver] = "previous production"
		} else {
			notes[ver] = "earlier production"
		}
		out = append(out, ver)
	}
	for i := len(st.Versions) - 1; i >= 0; i-- {
		x := st.Versions[i]
		if x.Version == st.Production || x.Stage == wire.StageArchived || slices.Contains(out, x.Version) {
			continue
		}
		notes[x.Version] = string(x.Stage)
		out = append(out, x.Version)
	}
	return out, notes
}
