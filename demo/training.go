package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/mlectl/mlectl/api"
	"github.com/mlectl/mlectl/training"
)

// trainingCost is what one training job of each demo model costs.
var trainingCost = map[string]float64{"fraud": 18.4, "demand": 3.2, "ranker": 42}

// recordTrainingRuns records the training jobs behind each model's
// versions (one failed retrain among them), so the training series and the
// console's overview have data. A reused data dir keeps its runs.
func (d *Demo) recordTrainingRuns(ctx context.Context, now time.Time) error {
	day := 24 * time.Hour
	for _, m := range d.Sim.Models() {
		have, err := d.srv.Training.List(ctx, training.Filter{Model: m.Name, Limit: 1})
		if err != nil {
			return fmt.Errorf("demo: training runs of %s: %w", m.Name, err)
		}
		if len(have) > 0 {
			continue
		}
		c := trainingCost[m.Name]
		runs := []api.TrainingRun{
			{Version: m.Previous, Status: api.TrainingSucceeded, Started: now.Add(-16 * day), Ended: now.Add(-16*day + 2*time.Hour), Cost: c},
			{Status: api.TrainingFailed, Started: now.Add(-5 * day), Ended: now.Add(-5*day + 25*time.Minute), Cost: c / 5},
			{Version: m.Production, Status: api.TrainingSucceeded, Started: now.Add(-3 * day), Ended: now.Add(-3*day + 2*time.Hour), Cost: c},
		}
		if m.Shadow != "" {
			runs = append(runs, api.TrainingRun{Version: m.Shadow, Status: api.TrainingSucceeded, Started: now.Add(-day), Ended: now.Add(-day + 2*time.Hour), Cost: c})
		}
		for _, r := range runs {
			r.Model = m.Name
			if _, err := d.srv.Training.Add(ctx, r); err != nil {
				return fmt.Errorf("demo: record a training run of %s: %w", m.Name, err)
			}
		}
	}
	return nil
}
