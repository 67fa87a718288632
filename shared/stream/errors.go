package stream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Reasons a record is skipped: it can never be applied, however often it is
// retried, so it is logged with the reason, counted, and passed over.
const (
	ReasonNotJSON        = "not_json"
	ReasonTruncated      = "truncated"
	ReasonUnknownVersion = "unknown_version"
	ReasonMissingField   = "missing_field"
	ReasonOversized      = "oversized"
	ReasonInvalid        = "invalid"
)

// PermanentError marks a record that can never be applied.
type PermanentError struct {
	Reason string
	Err    error
}

func (e *PermanentError) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a permanent failure with a reason. A handler's
// Decode or Apply returns it for a record that no retry can fix.
func Permanent(reason string, err error) error {
	if err == nil {
		err = errors.New(reason)
	}
	return &PermanentError{Reason: reason, Err: err}
}

// Permanentf is Permanent with a formatted message.
func Permanentf(reason, format string, args ...any) error {
	return Permanent(reason, fmt.Errorf(format, args...))
}

// IsPermanent reports whether err marks a record that can never be applied,
// and why.
func IsPermanent(err error) (string, bool) {
	var pe *PermanentError
	if errors.As(err, &pe) {
		return pe.Reason, true
	}
	return "", false
}

// JSONReason tells why data that failed to decode is bad JSON: truncated
// (it ends in the middle of a value) or not JSON at all; "" when data is
// valid JSON, so the fault is in its content.
func JSONReason(data []byte) string {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return ReasonNotJSON
	}
	if json.Valid(data) {
		return ""
	}
	if data[0] != '{' && data[0] != '[' {
		return ReasonNotJSON
	}
	// A decoder reading a value cut short runs out of input mid-value.
	err := json.NewDecoder(bytes.NewReader(data)).Decode(new(json.RawMessage))
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return ReasonTruncated
	}
	return ReasonNotJSON
}
