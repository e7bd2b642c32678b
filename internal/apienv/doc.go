// Package apienv owns the server side of the answer format every JSON
// endpoint of the collector shares with Prometheus's HTTP API:
// {"status":"success","data":...} or
// {"status":"error","errorType":...,"error":...}, the errorType each HTTP
// status maps to, and the status recorder the audit and metrics wrappers
// read the answer's status from. Package client is the client side.
package apienv
