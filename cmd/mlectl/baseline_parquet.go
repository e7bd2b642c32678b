package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mlectl/mlectl/drift"
	"github.com/mlectl/mlectl/predlog/baseline"
)

// readTrainingFile reads a training set as a frame: Parquet when the name
// ends in .parquet/.pq or the file starts with Parquet's magic bytes, CSV
// when it ends in .csv; anything else is refused rather than guessed.
func readTrainingFile(path string) (*drift.Frame, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".parquet" || ext == ".pq" || startsWithParquetMagic(path) {
		return baseline.ReadParquetFile(path)
	}
	if ext != ".csv" {
		return nil, fmt.Errorf("training files are CSV (.csv) or Parquet (.parquet), got %q", ext)
	}
	return drift.ReadCSVFile(path)
}

func startsWithParquetMagic(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(baseline.ParquetMagic))
	if _, err := io.ReadFull(f, head); err != nil {
		return false
	}
	return baseline.IsParquet(head)
}
