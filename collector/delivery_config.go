package collector

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"
)

// DeliveryConfig configures the delivery series of package delivery.
type DeliveryConfig struct {
	// Period is the window of mle_change_failure_ratio and the restore
	// times (Prometheus duration: 30d, 4w); 0 means DefaultDeliveryPeriod.
	Period model.Duration `yaml:"period,omitempty"`
}

// DefaultDeliveryPeriod is delivery.period when unset.
const DefaultDeliveryPeriod = 30 * 24 * time.Hour

// PeriodOrDefault is Period with the default applied.
func (d DeliveryConfig) PeriodOrDefault() time.Duration {
	if d.Period <= 0 {
		return DefaultDeliveryPeriod
	}
	return time.Duration(d.Period)
}

func (d DeliveryConfig) validate() error {
	if p := time.Duration(d.Period); p < 0 || (p > 0 && p < time.Hour) {
		return fmt.Errorf("delivery.period must be at least 1h, got %s", d.Period)
	}
	return nil
}
