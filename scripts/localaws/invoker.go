// Package localaws emulates, on a developer's machine, the AWS pieces that
// call Conduit's functions: the Lambda Invoke API, API Gateway's HTTP API
// with its JWT authorizer, Kinesis event source mappings, EventBridge rules
// and schedules. Each calls the same handler code the cloud runs, with the
// event shapes AWS sends, so what works here works there.
package localaws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// AccountID is the account every local ARN carries (kinesalite uses it too).
const AccountID = "000000000000"

// ErrUnknownFunction is returned for a function the runner does not have.
var ErrUnknownFunction = errors.New("function not found")

// FunctionError is a function's failure as Lambda reports it: the payload
// of a response carrying X-Amz-Function-Error.
type FunctionError = messages.InvokeResponse_Error

// InvokeFunc runs a function by name with a payload: the one way every
// emulated trigger calls a function. (*Invoker).InvokeWith is one.
type InvokeFunc func(ctx context.Context, name string, payload []byte, inv Invocation) ([]byte, *FunctionError, error)

// DefaultTimeout bounds an invocation unless the function says otherwise.
const DefaultTimeout = time.Minute

// Invoker runs the functions' handlers as the Lambda runtime does: a fresh
// request id and lambdacontext per invocation, a deadline, panics turned
// into function errors.
type Invoker struct {
	Region   string
	handlers map[string]lambda.Handler
	timeouts map[string]time.Duration
	async    sync.WaitGroup
	log      *slog.Logger
}

// NewInvoker returns an invoker over the named handlers.
func NewInvoker(region string, handlers map[string]lambda.Handler, log *slog.Logger) *Invoker {
	if log == nil {
		log = slog.Default()
	}
	return &Invoker{Region: region, handlers: handlers, timeouts: map[string]time.Duration{}, log: log}
}

// SetTimeout sets a function's timeout, as its configuration in the stack does.
func (iv *Invoker) SetTimeout(name string, d time.Duration) { iv.timeouts[name] = d }

// Has reports whether the function exists.
func (iv *Invoker) Has(name string) bool { _, ok := iv.handlers[name]; return ok }

// ARN is the function's ARN in the local account.
func (iv *Invoker) ARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", iv.Region, AccountID, name)
}

// Invocation carries what a caller may add to one invocation.
type Invocation struct {
	RequestID     string
	ClientContext lambdacontext.ClientContext
}

// Invoke runs the function synchronously.
func (iv *Invoker) Invoke(ctx context.Context, name string, payload []byte) ([]byte, *FunctionError, error) {
	return iv.InvokeWith(ctx, name, payload, Invocation{})
}

// InvokeWith is Invoke with a chosen request id and client context.
func (iv *Invoker) InvokeWith(ctx context.Context, name string, payload []byte, inv Invocation) ([]byte, *FunctionError, error) {
	h, ok := iv.handlers[name]
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s", ErrUnknownFunction, iv.ARN(name))
	}
	if inv.RequestID == "" {
		inv.RequestID = NewRequestID()
	}
	timeout := iv.timeouts[name]
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       inv.RequestID,
		InvokedFunctionArn: iv.ARN(name),
		ClientContext:      inv.ClientContext,
	})
	if len(payload) == 0 {
		// Lambda hands a function "{}" when the caller sent no payload.
		payload = []byte("{}")
	}
	type result struct {
		out  []byte
		ferr *FunctionError
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{ferr: panicError(p)}
			}
		}()
		out, err := h.Invoke(ctx, payload)
		if err != nil {
			done <- result{ferr: errorOf(err)}
			return
		}
		done <- result{out: out}
	}()
	select {
	case r := <-done:
		if r.ferr != nil {
			iv.log.Warn("function error", "function", name, "aws_request_id", inv.RequestID,
				"errorType", r.ferr.Type, "errorMessage", r.ferr.Message, "ms", time.Since(start).Milliseconds())
		}
		return r.out, r.ferr, nil
	case <-ctx.Done():
		// The handler goroutine cannot be stopped; like Lambda, the caller
		// gets the timeout and the handler's late answer is dropped.
		return nil, &FunctionError{
			Type:    "Sandbox.Timedout",
			Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.RequestID, timeout.Seconds()),
		}, nil
	}
}

// InvokeAsync runs the function in the background, as an Event invocation
// does; Wait waits for every such invocation.
func (iv *Invoker) InvokeAsync(ctx context.Context, name string, payload []byte, inv Invocation) error {
	if !iv.Has(name) {
		return fmt.Errorf("%w: %s", ErrUnknownFunction, iv.ARN(name))
	}
	iv.async.Add(1)
	go func() {
		defer iv.async.Done()
		_, _, _ = iv.InvokeWith(context.WithoutCancel(ctx), name, payload, inv)
	}()
	return nil
}

// Wait blocks until every asynchronous invocation has returned.
func (iv *Invoker) Wait() { iv.async.Wait() }

// FailedStart is the handler of a function whose constructor failed: every
// invocation answers the start-up error, as Lambda answers for a function
// whose process exited during initialisation.
func FailedStart(err error) lambda.Handler { return failedStart{err} }

type failedStart struct{ err error }

func (f failedStart) Invoke(context.Context, []byte) ([]byte, error) {
	return nil, messages.InvokeResponse_Error{Type: "Runtime.ExitError", Message: "the function could not start: " + f.err.Error()}
}

// errorOf reports a handler's error as the Go runtime does: errorType is
// the error's type name without package or pointer.
func errorOf(err error) *FunctionError {
	var ive messages.InvokeResponse_Error
	if errors.As(err, &ive) {
		return &ive
	}
	return &FunctionError{Message: err.Error(), Type: typeName(err)}
}

func panicError(p any) *FunctionError {
	msg := fmt.Sprint(p)
	if err, ok := p.(error); ok {
		msg = err.Error()
	}
	var frames []*messages.InvokeResponse_Error_StackFrame
	pcs := make([]uintptr, 32)
	n := runtime.Callers(4, pcs)
	fs := runtime.CallersFrames(pcs[:n])
	for {
		f, more := fs.Next()
		frames = append(frames, &messages.InvokeResponse_Error_StackFrame{
			Path: f.File, Line: int32(f.Line), Label: f.Function[strings.LastIndex(f.Function, "/")+1:],
		})
		if !more {
			break
		}
	}
	return &FunctionError{Message: msg, Type: typeName(p), StackTrace: frames}
}

func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}
