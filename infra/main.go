// Command infra is Conduit's CDK app: `cdk synth` (scripts/synth) runs it from
// the project root, where cdk.json is. It deploys the functions that exist
// under functions/, built by scripts/build into dist/.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/conduit-cx/conduit/infra/stack"
	"github.com/conduit-cx/conduit/shared/api"
)

// Context keys of the app only (the stack's are in infra/stack).
const (
	ctxCodeDir      = "conduit:codeDir"
	ctxFunctionsDir = "conduit:functionsDir"
)

func main() {
	defer jsii.Close()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "conduit infra:", err)
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	get := func(key string) any { return app.Node().TryGetContext(jsii.String(key)) }
	props, err := stack.FromContext(get)
	if err != nil {
		return err
	}
	props.CodeDir = contextOr(get, ctxCodeDir, "dist")
	if props.Functions, err = stack.FunctionDirs(contextOr(get, ctxFunctionsDir, "functions")); err != nil {
		return err
	}
	if err := stack.CheckBinaries(props.CodeDir, props.Functions); err != nil {
		return err
	}
	props.Routes = routes()
	s, err := stack.New(app, "Conduit-"+props.Stage, props)
	if err != nil {
		return err
	}
	stack.CheckAwsSolutions(s.Stack, true)
	app.Synth(nil)
	return nil
}

// routes turns the API's own route table into the stack's, so every route
// gets exactly the scopes its handler checks.
func routes() []stack.Route {
	var out []stack.Route
	for _, r := range api.Routes() {
		out = append(out, stack.Route{Method: r.Method, Path: r.Path, Scopes: r.Scopes})
	}
	return out
}

func contextOr(get func(string) any, key, def string) string {
	if v := get(key); v != nil && fmt.Sprint(v) != "" {
		return fmt.Sprint(v)
	}
	return def
}
