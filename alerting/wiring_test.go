package alerting_test

import (
	"net/http"

	v1 "github.com/prometheus/prometheus/web/api/v1"

	"github.com/mlectl/mlectl/alerting"
	"github.com/mlectl/mlectl/internal/route"
	"github.com/mlectl/mlectl/metaapi"
	"github.com/mlectl/mlectl/tsdb"
)

// What the collector wires the manager into.
var (
	_ v1.RulesRetriever        = (*alerting.Manager)(nil)
	_ v1.AlertmanagerRetriever = (*alerting.Manager)(nil)
	_ metaapi.Silencer         = (*alerting.Manager)(nil)
	_ alerting.Store           = (*tsdb.DB)(nil)
	_ route.Mux                = (*http.ServeMux)(nil)
)
