package api

// LabelStage is the label of a registry deploy event that names the stage
// the version was registered in: a registration straight into production
// is a deploy, one as none or shadow is not (package delivery).
const LabelStage = "stage"
