// Package overview owns the console's Overview screen (`:overview`): one
// line per model with what an engineering manager asks about — SLO
// compliance and error budget left over the SLO period, live quality
// against the registry's offline figure with the number of labelled
// predictions it is over, label lag and coverage, the share of drifting
// features, the week's deploys and the share rolled back, and the serving
// cost per 1000 predictions. A series the collector does not write reads
// as a dash. Fetches run in tea.Cmds; rows are keyed by model name.
package overview
