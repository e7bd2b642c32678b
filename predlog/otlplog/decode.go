package otlplog

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/mlectl/mlectl/predlog"
)

// Attribute names of the mapping (see the package documentation).
const (
	AttrModel      = "ml.model.name"
	AttrVersion    = "ml.model.version"
	AttrRequestID  = "ml.request.id"
	AttrRole       = "ml.role"
	AttrPrediction = "ml.prediction"
	AttrLatency    = "ml.latency_ms"
	AttrStatus     = "ml.status"
	// AttrFeaturePrefix precedes a feature's name.
	AttrFeaturePrefix = "ml.features."
)

// RecordError is a log record that cannot be a prediction record: Where
// names it (resourceLogs[i].scopeLogs[j].logRecords[k]) and Attr the
// attribute at fault.
type RecordError struct {
	Where, Attr, Msg string
}

func (e *RecordError) Error() string {
	if e.Attr == "" {
		return e.Where + ": " + e.Msg
	}
	return e.Where + ": attribute " + e.Attr + ": " + e.Msg
}

// decoder turns log records into prediction records; not safe for
// concurrent use.
type decoder struct {
	dec  *predlog.Decoder
	now  func() time.Time
	line []byte
}

func newDecoder(now func() time.Time) *decoder {
	return &decoder{dec: predlog.NewDecoder(now), now: now}
}

// decode appends a record per log record of ld to recs and its position
// to where; errs lists the log records refused.
func (d *decoder) decode(ld plog.Logs, recs []predlog.Record, where []string) ([]predlog.Record, []string, []*RecordError) {
	var errs []*RecordError
	rls := ld.ResourceLogs()
	for i := range rls.Len() {
		rl := rls.At(i)
		sls := rl.ScopeLogs()
		for j := range sls.Len() {
			sl := sls.At(j)
			lrs := sl.LogRecords()
			for k := range lrs.Len() {
				at := "resourceLogs[" + strconv.Itoa(i) + "].scopeLogs[" + strconv.Itoa(j) + "].logRecords[" + strconv.Itoa(k) + "]"
				recs = append(recs, predlog.Record{})
				if err := d.record(lrs.At(k), sl.Scope().Attributes(), rl.Resource().Attributes(), &recs[len(recs)-1]); err != nil {
					err.Where = at
					errs = append(errs, err)
					recs = recs[:len(recs)-1]
					continue
				}
				where = append(where, at)
			}
		}
	}
	return recs, where, errs
}

// lookup finds an attribute on the record, then the scope, then the
// resource.
func lookup(key string, maps ...pcommon.Map) (pcommon.Value, bool) {
	for _, m := range maps {
		if v, ok := m.Get(key); ok {
			return v, true
		}
	}
	return pcommon.Value{}, false
}

func (d *decoder) record(lr plog.LogRecord, scope, res pcommon.Map, r *predlog.Record) *RecordError {
	attrs := lr.Attributes()
	str := func(key string, required bool) (string, *RecordError) {
		v, ok := lookup(key, attrs, scope, res)
		if !ok {
			if required {
				return "", &RecordError{Attr: key, Msg: "is required"}
			}
			return "", nil
		}
		if v.Type() != pcommon.ValueTypeStr {
			return "", &RecordError{Attr: key, Msg: "must be a string, not " + v.Type().String()}
		}
		return v.Str(), nil
	}
	line := append(d.line[:0], '{')
	for _, f := range []struct{ key, field string }{
		{AttrModel, "model"}, {AttrVersion, "version"}, {AttrRequestID, "request_id"}, {AttrRole, "role"}, {AttrStatus, "status"},
	} {
		s, err := str(f.key, f.key == AttrModel || f.key == AttrVersion)
		if err != nil {
			return err
		}
		if s == "" && f.key != AttrModel && f.key != AttrVersion {
			continue
		}
		line = appendKey(line, f.field)
		line = predlog.AppendQuoted(line, s)
	}
	ts := lr.Timestamp()
	if ts == 0 {
		ts = lr.ObservedTimestamp()
	}
	at := d.now()
	if ts != 0 {
		at = ts.AsTime()
	}
	line = appendKey(line, "ts")
	line = strconv.AppendInt(line, at.UnixMilli(), 10)
	if v, ok := lookup(AttrLatency, attrs, scope, res); ok {
		var err error
		line = appendKey(line, "latency_ms")
		if line, err = appendNumber(line, v); err != nil {
			return &RecordError{Attr: AttrLatency, Msg: err.Error()}
		}
	}
	line = appendKey(line, "features")
	line = append(line, '{')
	first := true
	var ferr *RecordError
	attrs.Range(func(k string, v pcommon.Value) bool {
		name, ok := strings.CutPrefix(k, AttrFeaturePrefix)
		if !ok {
			return true
		}
		if name == "" {
			ferr = &RecordError{Attr: k, Msg: "names no feature (ml.features.<name>)"}
			return false
		}
		if !first {
			line = append(line, ',')
		}
		first = false
		line = predlog.AppendQuoted(line, name)
		line = append(line, ':')
		var err error
		if line, err = appendScalar(line, v); err != nil {
			ferr = &RecordError{Attr: k, Msg: err.Error()}
			return false
		}
		return true
	})
	if ferr != nil {
		return ferr
	}
	line = append(line, '}')
	if v, ok := lookup(AttrPrediction, attrs, scope, res); ok {
		line = appendKey(line, "prediction")
		var err error
		if v.Type() == pcommon.ValueTypeMap {
			line, err = appendScores(line, v.Map())
		} else {
			line, err = appendScalar(line, v)
		}
		if err != nil {
			return &RecordError{Attr: AttrPrediction, Msg: err.Error()}
		}
	}
	line = append(line, '}')
	d.line = line
	if err := d.dec.Decode(line, r); err != nil {
		return attributeError(err)
	}
	return nil
}

// attributeError names the attribute an NDJSON decoding error is about.
func attributeError(err error) *RecordError {
	fe, ok := err.(*predlog.FieldError)
	if !ok {
		return &RecordError{Msg: err.Error()}
	}
	attr := ""
	switch f := fe.Field; {
	case f == "model":
		attr = AttrModel
	case f == "version":
		attr = AttrVersion
	case f == "request_id":
		attr = AttrRequestID
	case f == "role":
		attr = AttrRole
	case f == "status":
		attr = AttrStatus
	case f == "latency_ms":
		attr = AttrLatency
	case f == "ts":
		attr = "timeUnixNano"
	case strings.HasPrefix(f, "features."):
		attr = AttrFeaturePrefix + strings.TrimPrefix(f, "features.")
	case f == "features":
		attr = AttrFeaturePrefix + "*"
	case strings.HasPrefix(f, "prediction"):
		attr = AttrPrediction
	default:
		attr = f
	}
	return &RecordError{Attr: attr, Msg: fe.Msg}
}

func appendKey(line []byte, k string) []byte {
	if line[len(line)-1] != '{' {
		line = append(line, ',')
	}
	line = append(line, '"')
	line = append(line, k...)
	return append(line, '"', ':')
}

func appendNumber(line []byte, v pcommon.Value) ([]byte, error) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(line, v.Int(), 10), nil
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return line, fmt.Errorf("must be a finite number, not %v", f)
		}
		return strconv.AppendFloat(line, f, 'g', -1, 64), nil
	}
	return line, fmt.Errorf("must be an int or a double, not %s", v.Type())
}

func appendScalar(line []byte, v pcommon.Value) ([]byte, error) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return predlog.AppendQuoted(line, v.Str()), nil
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble:
		return appendNumber(line, v)
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(line, v.Bool()), nil
	case pcommon.ValueTypeEmpty:
		return append(line, "null"...), nil
	}
	return line, fmt.Errorf("must be a string, int, double or bool, not %s", v.Type())
}

// appendScores writes a map of class → score as the NDJSON score object.
func appendScores(line []byte, m pcommon.Map) ([]byte, error) {
	raw := make(map[string]any, m.Len())
	var err error
	m.Range(func(k string, v pcommon.Value) bool {
		var b []byte
		if b, err = appendNumber(nil, v); err != nil {
			err = fmt.Errorf("score %q %w", k, err)
			return false
		}
		raw[k] = json.RawMessage(b)
		return true
	})
	if err != nil {
		return line, err
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return line, err
	}
	return append(line, b...), nil
}
