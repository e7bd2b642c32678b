// Package dataset owns reading scoring inputs — CSV, TSV and libsvm text —
// into engine.Batch values, with errors that name the line and column an
// operator has to fix.
package dataset
