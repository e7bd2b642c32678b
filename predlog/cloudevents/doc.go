// Package cloudevents ingests the payload loggers of model servers: KServe's
// InferenceService logger (spec.predictor.logger) and Seldon Core's request
// logger POST every inference request and response as two CloudEvents that
// share their id (Ce-Id). The handler decodes both bodies (KServe's v1
// protocol, the Open Inference Protocol v2 and Seldon Core's SeldonMessage),
// joins the two halves by id within a bounded window, and turns each
// instance of the batch into the prediction record a POST
// /api/v1/predictions line would give: it writes that NDJSON line and
// decodes it with predlog.Decoder, so numbers keep the digits the server
// sent and every rule of the NDJSON path (field limits, scalar features,
// score objects) applies unchanged. The records then take the NDJSON path's
// own way into the log (api.Handler.Ingest: game-day transformers, durable
// append, contracts, drift, quality, shadow).
//
// Halves that never find their pair (a logger in mode request, a lost
// event) expire after Config.MaxAge or when more than Config.MaxPending wait,
// and are counted in mle_cloudevents_unmatched_total{reason}. A second event
// with an id and type already seen (a redelivery) is acknowledged and
// dropped, counted under reason="duplicate".
package cloudevents
