// Command testrun is scripts/test: it starts one DynamoDB Local (in memory)
// and one kinesalite on free ports for the whole run, shares them with
// every test package through the environment, runs the format check, go
// vet and go test, and stops the servers whatever happens.
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/conduit-cx/conduit/shared/localstack"
	"github.com/conduit-cx/conduit/shared/store/storetest"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// testArgs are go test's flags for the whole tree: fresh runs, two packages
// at a time on a small machine, and room for the slow-compiling CDK stack.
var testArgs = []string{"-count=1", "-p", "2", "-timeout", "25m"}

func run(args []string) int {
	start := time.Now()
	root, err := localstack.Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, "conduit:", err)
		return 2
	}
	// Arguments naming packages (./...) choose what to vet and test; the
	// others are go test flags.
	var packages, extra []string
	for _, a := range args {
		if a == "." || strings.HasPrefix(a, "./") {
			packages = append(packages, a)
		} else {
			extra = append(extra, a)
		}
	}
	if len(packages) == 0 {
		packages = []string{"./..."}
	}
	logs := filepath.Join(root, ".conduit", "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "conduit:", err)
		return 2
	}

	// Stop on Ctrl-C or a CI cancel: the current child is interrupted, the
	// servers are stopped below.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The servers start while the format check and vet run.
	type started struct {
		srv *localstack.Server
		log *os.File
		err error
	}
	ddbCh, kinCh := make(chan started, 1), make(chan started, 1)
	startServer := func(name string, ch chan started, start func(context.Context, localstack.Options) (*localstack.Server, error)) {
		// The servers' output goes to a log file, never to the test output.
		log, err := os.Create(filepath.Join(logs, "test-"+name+".log"))
		if err != nil {
			ch <- started{err: err}
			return
		}
		srv, err := start(ctx, localstack.Options{Root: root, Log: log})
		ch <- started{srv, log, err}
	}
	go startServer("dynamodb-local", ddbCh, localstack.StartDynamoDB)
	go startServer("kinesalite", kinCh, localstack.StartKinesis)
	var servers []started
	defer func() {
		for _, s := range servers {
			s.srv.Stop()
			s.log.Close()
		}
	}()

	failed := false
	say("format check (gofmt -l)")
	if bad, err := unformatted(root); err != nil {
		say("format check could not run: %v", err)
		failed = true
	} else if len(bad) > 0 {
		say("these files need gofmt -w:\n  %s", strings.Join(bad, "\n  "))
		failed = true
	}
	say("go vet %s", strings.Join(packages, " "))
	if code := goCmd(ctx, root, nil, append([]string{"vet"}, packages...)...); code != 0 {
		say("go vet found problems")
		failed = true
	}

	ddb, kin := <-ddbCh, <-kinCh
	for _, s := range []started{ddb, kin} {
		if s.srv != nil {
			servers = append(servers, s)
		}
	}
	if err := errors.Join(ddb.err, kin.err); err != nil {
		say("local servers did not start: %v (logs in .conduit/logs)", err)
		return 2
	}
	say("DynamoDB Local at %s, kinesalite at %s (logs in .conduit/logs)", ddb.srv.Endpoint, kin.srv.Endpoint)
	env := append(os.Environ(), storetest.EnvDynamoDB+"="+ddb.srv.Endpoint, storetest.EnvKinesis+"="+kin.srv.Endpoint)
	testCmd := append(append(append([]string{"test"}, testArgs...), extra...), packages...)
	say("go %s", strings.Join(testCmd, " "))
	code := goCmd(ctx, root, env, testCmd...)
	switch {
	case ctx.Err() != nil:
		say("interrupted after %s", time.Since(start).Round(time.Second))
		return 130
	case code != 0:
		say("tests failed after %s", time.Since(start).Round(time.Second))
		return code
	case failed:
		say("tests passed but the checks above failed (%s)", time.Since(start).Round(time.Second))
		return 1
	}
	say("all passed in %s", time.Since(start).Round(time.Second))
	return 0
}

func say(format string, a ...any) { fmt.Fprintf(os.Stderr, "conduit: "+format+"\n", a...) }

// goCmd runs the go tool with its output streamed, and returns its exit
// status. An interrupt reaches the whole process group of the child.
func goCmd(ctx context.Context, dir string, env []string, args ...string) int {
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdout, cmd.Stderr, cmd.Stdin = os.Stdout, os.Stderr, nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		say("%v", err)
		return 2
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			}
		case <-done:
		}
	}()
	err := cmd.Wait()
	close(done)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.ExitCode() > 0:
		return exit.ExitCode()
	default:
		return 1
	}
}

// unformatted lists the Go files gofmt would change, skipping what the Go
// tool skips (dot and underscore folders, testdata) and node_modules.
func unformatted(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(name, ".go") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil || len(files) == 0 {
		return nil, err
	}
	cmd := exec.Command("gofmt", append([]string{"-l"}, files...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	var bad []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "" {
			rel, _ := filepath.Rel(root, line)
			bad = append(bad, rel)
		}
	}
	return bad, nil
}
