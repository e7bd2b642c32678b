package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// envelope is the JSON wrapper every /api/v1 answer uses.
type envelope struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Warnings  []string        `json:"warnings"`
	Infos     []string        `json:"infos"`
}

// decodeEnvelope parses an /api/v1 body. A body with status "error" becomes
// an *APIError; httpStatus is recorded on it.
func decodeEnvelope(body []byte, httpStatus int) (envelope, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return env, fmt.Errorf("decoding collector answer (HTTP %d): %w", httpStatus, err)
	}
	switch env.Status {
	case "success":
		return env, nil
	case "error":
		return env, &APIError{StatusCode: httpStatus, Type: env.ErrorType, Message: env.Error}
	default:
		return env, fmt.Errorf("decoding collector answer (HTTP %d): unknown status %q", httpStatus, env.Status)
	}
}

// DecodeQueryResponse parses the body of an /api/v1/query or
// /api/v1/query_range answer into a Result. Exported so tools can decode
// recorded answers and so the decoder can be fuzzed.
func DecodeQueryResponse(body []byte, httpStatus int) (Result, error) {
	env, err := decodeEnvelope(body, httpStatus)
	if err != nil {
		return Result{}, err
	}
	v, err := decodeQueryData(env.Data)
	if err != nil {
		return Result{}, err
	}
	return Result{Value: v, Warnings: env.Warnings, Infos: env.Infos}, nil
}

func decodeQueryData(data json.RawMessage) (Value, error) {
	var qd struct {
		ResultType ValueType       `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &qd); err != nil {
		return nil, fmt.Errorf("decoding query data: %w", err)
	}
	switch qd.ResultType {
	case ValueVector:
		var raw []struct {
			Metric Metric          `json:"metric"`
			Value  json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(qd.Result, &raw); err != nil {
			return nil, fmt.Errorf("decoding vector result: %w", err)
		}
		vec := make(Vector, 0, len(raw))
		for _, r := range raw {
			if r.Value == nil {
				// Native-histogram samples carry "histogram" instead of
				// "value"; the console has no view for them yet.
				continue
			}
			p, err := decodePoint(r.Value)
			if err != nil {
				return nil, fmt.Errorf("decoding vector sample %s: %w", r.Metric, err)
			}
			vec = append(vec, Sample{Metric: nonNil(r.Metric), Point: p})
		}
		return vec, nil
	case ValueMatrix:
		var raw []struct {
			Metric Metric            `json:"metric"`
			Values []json.RawMessage `json:"values"`
		}
		if err := json.Unmarshal(qd.Result, &raw); err != nil {
			return nil, fmt.Errorf("decoding matrix result: %w", err)
		}
		mat := make(Matrix, 0, len(raw))
		for _, r := range raw {
			s := Series{Metric: nonNil(r.Metric), Points: make([]Point, 0, len(r.Values))}
			for _, rv := range r.Values {
				p, err := decodePoint(rv)
				if err != nil {
					return nil, fmt.Errorf("decoding matrix point of %s: %w", r.Metric, err)
				}
				s.Points = append(s.Points, p)
			}
			mat = append(mat, s)
		}
		return mat, nil
	case ValueScalar:
		p, err := decodePoint(qd.Result)
		if err != nil {
			return nil, fmt.Errorf("decoding scalar result: %w", err)
		}
		return Scalar(p), nil
	case ValueString:
		t, s, err := decodePair(qd.Result)
		if err != nil {
			return nil, fmt.Errorf("decoding string result: %w", err)
		}
		return String{T: t, S: s}, nil
	default:
		return nil, fmt.Errorf("decoding query data: unknown resultType %q", qd.ResultType)
	}
}

func nonNil(m Metric) Metric {
	if m == nil {
		return Metric{}
	}
	return m
}

// decodePoint parses the [unix_seconds, "value"] pair Prometheus uses.
func decodePoint(raw json.RawMessage) (Point, error) {
	t, s, err := decodePair(raw)
	if err != nil {
		return Point{}, err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return Point{}, fmt.Errorf("sample value %q is not a number: %w", s, err)
	}
	return Point{T: t, V: v}, nil
}

func decodePair(raw json.RawMessage) (time.Time, string, error) {
	var pair [2]json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil {
		return time.Time{}, "", fmt.Errorf("want [time, \"value\"]: %w", err)
	}
	if pair[0] == nil || pair[1] == nil {
		return time.Time{}, "", errors.New("want [time, \"value\"], got fewer elements")
	}
	var ts json.Number
	if err := json.Unmarshal(pair[0], &ts); err != nil {
		return time.Time{}, "", fmt.Errorf("timestamp: %w", err)
	}
	t, err := parseUnixSeconds(ts.String())
	if err != nil {
		return time.Time{}, "", err
	}
	var s string
	if err := json.Unmarshal(pair[1], &s); err != nil {
		return time.Time{}, "", fmt.Errorf("value must be a JSON string: %w", err)
	}
	return t, s, nil
}

// parseUnixSeconds turns "1435781451.781" into a time with millisecond
// precision, the resolution Prometheus timestamps have.
func parseUnixSeconds(s string) (time.Time, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e13 {
		return time.Time{}, fmt.Errorf("timestamp %q is not a finite unix time in seconds", s)
	}
	return time.UnixMilli(int64(math.Round(f * 1000))).UTC(), nil
}
