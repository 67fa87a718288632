// Package logging sets up Conduit's structured logs: log/slog JSON, one line
// per event, carrying the request and contact ids found in the context.
// Raw phone numbers, emails and names never go into a log.
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	contactIDKey
)

// Attribute names used in every log line.
const (
	AttrRequestID = "aws_request_id"
	AttrContactID = "contact_id"
)

// WithRequestID returns a context whose log lines carry the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// WithContactID returns a context whose log lines carry the Connect contact id.
func WithContactID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, contactIDKey, id)
}

// RequestID is the request id carried by ctx, or "".
func RequestID(ctx context.Context) string { s, _ := ctx.Value(requestIDKey).(string); return s }

// ContactID is the contact id carried by ctx, or "".
func ContactID(ctx context.Context) string { s, _ := ctx.Value(contactIDKey).(string); return s }

// New returns a JSON logger writing to w that adds context ids to each line.
func New(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(contextHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})})
}

// Setup installs the JSON logger as the process default.
func Setup() { slog.SetDefault(New(os.Stdout, slog.LevelInfo)) }

type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String(AttrRequestID, id))
	}
	if id := ContactID(ctx); id != "" {
		r.AddAttrs(slog.String(AttrContactID, id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
