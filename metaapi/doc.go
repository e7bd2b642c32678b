// Package metaapi owns the collector's metadata HTTP API and its Go client:
// the model registry and its actions (/api/v1/models...), the event log
// (/api/v1/events), runbooks (/api/v1/runbooks...) and the audit log
// (/api/v1/audit...). Every route is behind the auth middleware and every
// mutating call, allowed or refused, is appended to the hash-chained audit
// log. Open opens the metadata badger directory that backs all of them,
// separate from the TSDB.
//
// Answers use the Prometheus envelope: {"status":"success","data":...} or
// {"status":"error","errorType":...,"error":...}.
package metaapi
