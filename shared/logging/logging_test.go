package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestLinesCarryContextIDs(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, slog.LevelInfo)
	ctx := WithContactID(WithRequestID(context.Background(), "req-1"), "contact-9")
	log.InfoContext(ctx, "decided", "offer", "o1")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not one JSON line: %q: %v", buf.String(), err)
	}
	for k, want := range map[string]string{AttrRequestID: "req-1", AttrContactID: "contact-9", "offer": "o1", "msg": "decided"} {
		if line[k] != want {
			t.Errorf("%s = %v, want %q", k, line[k], want)
		}
	}
}

func TestLinesWithoutIDsOmitThem(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, slog.LevelInfo).With("fn", "api").Info("ready")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if _, ok := line[AttrRequestID]; ok {
		t.Error("request id present without one in the context")
	}
	if line["fn"] != "api" {
		t.Errorf("fn = %v", line["fn"])
	}
}
