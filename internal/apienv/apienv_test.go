package apienv

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorType(t *testing.T) {
	for _, c := range []struct {
		code int
		want string
	}{
		{http.StatusBadRequest, "bad_data"},
		{http.StatusRequestEntityTooLarge, "bad_data"},
		{http.StatusNotFound, "not_found"},
		{http.StatusConflict, "conflict"},
		{http.StatusUnprocessableEntity, "precondition"},
		{http.StatusBadGateway, "actuator"},
		{http.StatusServiceUnavailable, "unavailable"},
		{http.StatusNotImplemented, "unavailable"},
		{http.StatusInternalServerError, "internal"},
	} {
		assert.Equal(t, c.want, ErrorType(c.code), c.code)
	}
}

func TestAnswers(t *testing.T) {
	rec := httptest.NewRecorder()
	Error(rec, http.StatusBadRequest, "bins: want 1 to 100")
	var got map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.Equal(t, map[string]any{"status": "error", "errorType": "bad_data", "error": "bins: want 1 to 100"}, got)

	rec = httptest.NewRecorder()
	Data(rec, http.StatusCreated, []int{1, 2})
	got = nil
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	assert.Equal(t, http.StatusCreated, rec.Code)
	assert.Equal(t, map[string]any{"status": "success", "data": []any{1.0, 2.0}}, got)
}

func TestStatusRecorder(t *testing.T) {
	rec := &StatusRecorder{ResponseWriter: httptest.NewRecorder()}
	_, _ = rec.Write([]byte("x"))
	rec.WriteHeader(http.StatusTeapot)
	assert.Equal(t, http.StatusOK, rec.Status, "the first status wins")
	rec = &StatusRecorder{ResponseWriter: httptest.NewRecorder()}
	rec.WriteHeader(http.StatusConflict)
	assert.Equal(t, http.StatusConflict, rec.Status)
}
