// Package record owns the console's record view: one sampled prediction
// of a model (GET /api/v1/predictions/sample, the newest explained record
// of the last minutes) with its inputs beside the contributions the model
// logged with it, largest first, as signed bars around an axis. Without a
// version it samples the serving version (what users got), never the
// shadow; the heading names the version and its role, and s switches to
// the shadow's record and back. The fetch runs in a tea.Cmd; n steps to an
// older record.
package record
