package localaws

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Failures is the local on-failure destination: one JSON Lines file per
// function under a folder, each line an AWS on-failure record that says
// enough to find and replay what was skipped.
type Failures struct {
	Dir string
	mu  sync.Mutex
}

// Path is the file that holds a function's failures.
func (f *Failures) Path(function string) string { return filepath.Join(f.Dir, function+".jsonl") }

// Record appends one record for the function.
func (f *Failures) Record(function string, record any) error {
	line, err := json.Marshal(record)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return err
	}
	file, err := os.OpenFile(f.Path(function), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := file.Write(append(line, '\n')); err != nil {
		file.Close()
		return fmt.Errorf("record a failure of %s: %w", function, err)
	}
	return file.Close()
}

// FailureContext is the requestContext of an on-failure record.
type FailureContext struct {
	RequestID              string `json:"requestId"`
	FunctionARN            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

// FailureResponse is the responseContext of an on-failure record.
type FailureResponse struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// awsTime formats a time as AWS's on-failure records do.
func awsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
