package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mlectl/mlectl/drift"
	"github.com/mlectl/mlectl/predlog/baseline"
)

// profileTrainingFile profiles a training set: Parquet when the name ends
// in .parquet/.pq or the file starts with Parquet's magic bytes (streamed,
// in memory that does not grow with its rows), CSV when it ends in .csv;
// anything else is refused rather than guessed.
func profileTrainingFile(model, version, path string, categorical []string, now time.Time) (*baseline.Profile, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".parquet" || ext == ".pq" || startsWithParquetMagic(path) {
		p, err := baseline.ProfileParquetFile(model, version, path, categorical, now)
		var unknown *baseline.UnknownColumnError
		if errors.As(err, &unknown) {
			return nil, fmt.Errorf("--categorical: %s has no column %q", path, unknown.Column)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return p, nil
	}
	if ext != ".csv" {
		return nil, fmt.Errorf("%s: training files are CSV (.csv) or Parquet (.parquet), got %q", path, ext)
	}
	frame, err := drift.ReadCSVFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, c := range categorical {
		if frame.Column(c) == nil {
			return nil, fmt.Errorf("--categorical: %s has no column %q", path, c)
		}
	}
	return baseline.FromFrame(model, version, frame, categorical, now)
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
