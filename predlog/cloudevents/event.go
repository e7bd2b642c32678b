package cloudevents

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/buger/jsonparser"
)

// CloudEvents types of the payload loggers: KServe's, and Seldon Core's.
const (
	TypeKServeRequest  = "org.kubeflow.serving.inference.request"
	TypeKServeResponse = "org.kubeflow.serving.inference.response"
	TypeSeldonRequest  = "io.seldon.serving.inference.request"
	TypeSeldonResponse = "io.seldon.serving.inference.response"
)

// event is one CloudEvent, binary or structured, reduced to what the join
// and the records need. Strings are copies; data aliases the request body.
type event struct {
	id, typ, source     string
	isResponse          bool
	time                time.Time // zero when the event has no time
	service, namespace  string
	component, endpoint string
	versionAnnotation   string // the mlectl.io/version annotation, if any
	data                []byte
	structured          bool
}

// badRequest is a refused event: where names the header ("Ce-Id") or the
// JSON path ("inputs[0].shape") at fault.
type badRequest struct {
	where, msg string
}

func (e *badRequest) Error() string {
	if e.where == "" {
		return e.msg
	}
	return e.where + " " + e.msg
}

func bad(where, format string, a ...any) error {
	return &badRequest{where: where, msg: fmt.Sprintf(format, a...)}
}

// VersionAnnotation is the InferenceService annotation that names the model
// version; KServe's logger sends the annotations in Ce-Annotations.
const VersionAnnotation = "mlectl.io/version"

// attr names a CloudEvents attribute as the error should: its header in
// binary mode, its JSON member in structured mode.
func (e *event) attr(name string) string {
	if e.structured {
		return name
	}
	return "Ce-" + strings.ToUpper(name[:1]) + name[1:]
}

// parseEvent reads the event of a request whose body is body: binary mode
// (attributes in Ce-* headers, data in the body) or structured mode
// (Content-Type application/cloudevents+json).
func parseEvent(h http.Header, body []byte) (*event, error) {
	ct := h.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if mt == "application/cloudevents-batch+json" {
		return nil, bad("Content-Type", "application/cloudevents-batch+json is not supported: send one event per request (binary or structured mode)")
	}
	var e event
	get := func(name string) string { return h.Get("Ce-" + name) }
	if mt == "application/cloudevents+json" {
		e.structured = true
		if !jsonObject(body) {
			return nil, bad("body", "is not a JSON object (structured mode wants one CloudEvent)")
		}
		get = func(name string) string {
			v, err := jsonparser.GetString(body, name)
			if err != nil {
				return ""
			}
			return v
		}
		data, typ, _, err := jsonparser.Get(body, "data")
		switch {
		case err == nil && typ == jsonparser.String:
			// data as a JSON string holding the payload's JSON text.
			s, err := jsonparser.ParseString(data)
			if err != nil {
				return nil, bad("data", "is not a valid JSON string: %v", err)
			}
			e.data = []byte(s)
		case err == nil:
			e.data = data
		default:
			b64, err := jsonparser.GetString(body, "data_base64")
			if err != nil {
				return nil, bad("data", "missing (a structured event carries its payload in data or data_base64)")
			}
			if e.data, err = base64.StdEncoding.DecodeString(b64); err != nil {
				return nil, bad("data_base64", "is not base64: %v", err)
			}
		}
	} else {
		e.data = body
	}
	if v := get("specversion"); v == "" {
		return nil, bad(e.attr("specversion"), "missing")
	} else if v != "1.0" {
		return nil, bad(e.attr("specversion"), "is %q; only CloudEvents 1.0 is supported", v)
	}
	if e.id = get("id"); e.id == "" {
		return nil, bad(e.attr("id"), "missing")
	}
	if e.source = get("source"); e.source == "" {
		return nil, bad(e.attr("source"), "missing")
	}
	switch e.typ = get("type"); e.typ {
	case TypeKServeRequest, TypeSeldonRequest:
	case TypeKServeResponse, TypeSeldonResponse:
		e.isResponse = true
	case "":
		return nil, bad(e.attr("type"), "missing")
	default:
		return nil, bad(e.attr("type"), "%q is not an inference request or response (want %s or %s)", e.typ, TypeKServeRequest, TypeKServeResponse)
	}
	if t := get("time"); t != "" {
		var err error
		if e.time, err = time.Parse(time.RFC3339Nano, t); err != nil {
			return nil, bad(e.attr("time"), "%q is not an RFC 3339 time", t)
		}
	}
	if e.service = get("inferenceservicename"); e.service == "" {
		return nil, bad(e.attr("inferenceservicename"), "missing (it names the model)")
	}
	e.namespace, e.component, e.endpoint = get("namespace"), get("component"), get("endpoint")
	if a := get("annotations"); a != "" {
		v, err := jsonparser.GetString([]byte(a), VersionAnnotation)
		if !jsonObject([]byte(a)) || !json.Valid([]byte(a)) {
			err = errors.New("not an object")
		}
		if err != nil && !errors.Is(err, jsonparser.KeyPathNotFoundError) {
			return nil, bad(e.attr("annotations"), "is not a JSON object of strings: %v", err)
		}
		e.versionAnnotation = v
	}
	return &e, nil
}

// jsonObject reports whether b is one JSON object (surrounding space allowed).
func jsonObject(b []byte) bool {
	b = trimSpace(b)
	return len(b) >= 2 && b[0] == '{' && b[len(b)-1] == '}'
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
