// Command invoke invokes one function with an event and prints its
// response (scripts/invoke), like `sam local invoke`: through the running
// local runner when it is up, else in this process against the local stack.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/conduit-cx/conduit/scripts/devstack"
	"github.com/conduit-cx/conduit/scripts/localaws"
	"github.com/conduit-cx/conduit/scripts/seed"
	"github.com/conduit-cx/conduit/shared/lambdas"
	"github.com/conduit-cx/conduit/shared/localstack"
	"github.com/conduit-cx/conduit/shared/logging"
	"github.com/conduit-cx/conduit/shared/store"
)

// runnerEndpoint is where scripts/dev serves the Lambda Invoke API.
const runnerEndpoint = "http://127.0.0.1:3001"

// errFunction marks a function error: the response was printed, the exit
// status says it failed.
var errFunction = errors.New("the function failed")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, errFunction):
		os.Exit(1)
	case err != nil:
		fmt.Fprintln(os.Stderr, "conduit:", err)
		os.Exit(2)
	}
}

func usage(registry map[string]lambdas.Function) error {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return fmt.Errorf("usage: scripts/invoke [--here] FUNCTION EVENT.json (or - for standard input)\n"+
		"--here runs the handler in this process even when scripts/dev is up\nfunctions: %s\nsample events: events/<function>/",
		strings.Join(names, ", "))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	registry := lambdas.Registry()
	here := len(args) > 0 && args[0] == "--here"
	if here {
		args = args[1:]
	}
	if len(args) != 2 {
		return usage(registry)
	}
	name, eventPath := args[0], args[1]
	fn, ok := registry[name]
	if !ok {
		return fmt.Errorf("no function %q\n%w", name, usage(registry))
	}
	var event []byte
	var err error
	if eventPath == "-" {
		event, err = io.ReadAll(stdin)
	} else {
		event, err = os.ReadFile(eventPath)
	}
	if err != nil {
		return fmt.Errorf("read the event: %w", err)
	}
	var out []byte
	var failed bool
	if !here && localstack.Reachable(runnerEndpoint) {
		fmt.Fprintf(stderr, "conduit: invoking %s through the running scripts/dev at %s\n", name, runnerEndpoint)
		out, failed, err = viaRunner(ctx, name, event)
	} else {
		fmt.Fprintf(stderr, "conduit: invoking %s in this process against the local stack\n", name)
		out, failed, err = inProcess(ctx, name, fn, event, stderr)
	}
	if err != nil {
		return err
	}
	stdout.Write(bytes.TrimSpace(out))
	fmt.Fprintln(stdout)
	if failed {
		fmt.Fprintf(stderr, "conduit: %s returned a function error\n", name)
		return errFunction
	}
	return nil
}

// viaRunner posts the event to the runner's Lambda Invoke API.
func viaRunner(ctx context.Context, name string, event []byte) ([]byte, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		runnerEndpoint+"/2015-03-31/functions/"+name+"/invocations", bytes.NewReader(event))
	if err != nil {
		return nil, false, err
	}
	resp, err := (&http.Client{Timeout: 15 * time.Minute}).Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, false, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, false, fmt.Errorf("the runner answered %s: %s", resp.Status, bytes.TrimSpace(out))
	}
	return out, resp.Header.Get("X-Amz-Function-Error") != "", nil
}

// inProcess brings up the local stack (attaching to servers already
// running), builds the one handler and invokes it as Lambda would.
func inProcess(ctx context.Context, name string, fn lambdas.Function, event []byte, stderr io.Writer) ([]byte, bool, error) {
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "conduit: "+format+"\n", a...) }
	stack, err := devstack.Start(ctx, devstack.Options{Say: say})
	if err != nil {
		return nil, false, err
	}
	defer stack.Stop()
	if err := seed.Run(ctx, seed.Env{Config: stack.Config, Clients: stack.Clients, Tables: store.TablesFor(devstack.Stage), Say: say}); err != nil {
		return nil, false, err
	}
	// The function's own logs go to standard error, keeping standard
	// output for the response.
	slog.SetDefault(logging.New(stderr, slog.LevelInfo))
	h, err := fn.New(ctx, stack.Config, stack.Clients)
	if err != nil {
		return nil, false, fmt.Errorf("function %s could not start: %w", name, err)
	}
	invoker := localaws.NewInvoker(devstack.Region, map[string]lambda.Handler{name: h}, nil)
	invoker.SetTimeout(name, fn.Timeout)
	out, ferr, err := invoker.Invoke(ctx, name, event)
	if err != nil {
		return nil, false, err
	}
	if ferr != nil {
		out, _ = json.Marshal(ferr)
		return out, true, nil
	}
	return out, false, nil
}
