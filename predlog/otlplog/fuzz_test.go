package otlplog

import (
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/mlectl/mlectl/predlog"
)

// FuzzDecodeLogs feeds arbitrary bodies, as protobuf and as JSON, through
// the OTLP decoding and the attribute mapping: none may panic, every
// refusal names a log record, and every accepted record has a model and a
// version.
func FuzzDecodeLogs(f *testing.F) {
	req := plogotlp.NewExportRequestFromLogs(predictionLogs(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)))
	pb, err := req.MarshalProto()
	if err != nil {
		f.Fatal(err)
	}
	js, err := req.MarshalJSON()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pb)
	f.Add(js)
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":"ml.model.name","value":{"stringValue":"m"}},{"key":"ml.model.version","value":{"stringValue":"1"}},{"key":"ml.features.x","value":{"doubleValue":"NaN"}}]}]}]}]}`))
	now := func() time.Time { return time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC) }
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, ct := range []string{ContentTypeProtobuf, ContentTypeJSON} {
			ld, err := Decode(ct, body)
			if err != nil {
				continue
			}
			d := newDecoder(now)
			recs, where, bad := d.decode(ld, nil, nil)
			if len(recs) != len(where) {
				t.Fatalf("%d records, %d positions", len(recs), len(where))
			}
			for _, e := range bad {
				if e.Where == "" {
					t.Fatalf("refusal names no log record: %v", e)
				}
				var re *RecordError
				if !errors.As(error(e), &re) {
					t.Fatal("not a RecordError")
				}
			}
			for i := range recs {
				if recs[i].Model == "" || recs[i].Version == "" || recs[i].Role == "" {
					t.Fatalf("record %s lacks model, version or role: %+v", where[i], recs[i])
				}
				_ = predlog.Record(recs[i])
			}
			d.dec.Recycle()
		}
	})
}
