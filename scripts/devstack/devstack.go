// Package devstack brings up Conduit's local storage for the runner and
// scripts/invoke: DynamoDB Local and kinesalite on their usual ports
// (started, or attached to when already running), the stage's tables and
// streams, and the settings a function's environment would hold.
package devstack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/conduit-cx/conduit/scripts/internal/once"
	"github.com/conduit-cx/conduit/scripts/localconnect"
	"github.com/conduit-cx/conduit/shared/awsclients"
	"github.com/conduit-cx/conduit/shared/config"
	"github.com/conduit-cx/conduit/shared/localstack"
	"github.com/conduit-cx/conduit/shared/store"
)

// The local stage, region and ports.
const (
	Stage        = "local"
	Region       = "us-east-1"
	DynamoDBPort = 8000
	KinesisPort  = 4567
)

// Paths are the git-ignored places of local state.
type Paths struct {
	Root string
	// Dir is .conduit: keys, tools, data, logs.
	Dir string
	// Data holds DynamoDB Local's and kinesalite's files, checkpoints and failures.
	Data string
	Logs string
}

// PathsFor returns the paths under a module root.
func PathsFor(root string) Paths {
	dir := filepath.Join(root, ".conduit")
	return Paths{Root: root, Dir: dir, Data: filepath.Join(dir, "data"), Logs: filepath.Join(dir, "logs")}
}

// Options say how to bring the stack up.
type Options struct {
	// Root is the module root; empty finds it from the working directory.
	Root string
	// InMemory keeps nothing between runs (servers this call starts only).
	InMemory bool
	// Reset starts from empty storage: the data folder of started servers
	// is removed; the stage's tables and streams in attached ones are deleted.
	Reset bool
	// Ports; zero means the usual ones.
	DynamoDBPort, KinesisPort int
	// ConnectEndpoint is where the local Amazon Connect API is served (the
	// runner's AWS endpoint); empty means DefaultConnectEndpoint.
	ConnectEndpoint string
	// Say receives progress lines for a person; nil is silent.
	Say func(format string, args ...any)
}

// DefaultConnectEndpoint is the runner's AWS endpoint, which also serves
// the local Amazon Connect instance.
const DefaultConnectEndpoint = "http://127.0.0.1:3001"

// Part is one local server and whether this stack started it.
type Part struct {
	Endpoint string
	Started  bool
}

// Stack is the running local storage.
type Stack struct {
	Paths    Paths
	Config   config.Config
	Clients  *awsclients.Clients
	DynamoDB Part
	Kinesis  Part
	// Env is the environment a function has here, as its configuration
	// would set it in the cloud.
	Env     map[string]string
	servers []*localstack.Server
	logs    []io.Closer
}

// Start brings the stack up. On error nothing it started is left running.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	say := opts.Say
	if say == nil {
		say = func(string, ...any) {}
	}
	root := opts.Root
	if root == "" {
		if root, err = localstack.Root(); err != nil {
			return nil, err
		}
	}
	s := &Stack{Paths: PathsFor(root)}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	key, err := IdentityKey(s.Paths.Dir)
	if err != nil {
		return nil, fmt.Errorf("identity key: %w", err)
	}
	ddbPort, kinPort := orDefault(opts.DynamoDBPort, DynamoDBPort), orDefault(opts.KinesisPort, KinesisPort)
	s.DynamoDB.Endpoint = fmt.Sprintf("http://127.0.0.1:%d", ddbPort)
	s.Kinesis.Endpoint = fmt.Sprintf("http://127.0.0.1:%d", kinPort)
	ddbAttached, kinAttached := localstack.Reachable(s.DynamoDB.Endpoint), localstack.Reachable(s.Kinesis.Endpoint)
	if opts.Reset && !opts.InMemory {
		for _, part := range []struct {
			dir      string
			attached bool
		}{{"dynamodb", ddbAttached}, {"kinesis", kinAttached}, {"checkpoints.json", false}} {
			if !part.attached {
				if err := os.RemoveAll(filepath.Join(s.Paths.Data, part.dir)); err != nil {
					return nil, err
				}
			}
		}
	}
	if ddbAttached {
		say("using the DynamoDB Local already listening at %s", s.DynamoDB.Endpoint)
	} else {
		say("starting DynamoDB Local on %s (log: %s)", s.DynamoDB.Endpoint, s.logPath("dynamodb-local"))
		if err := s.start(ctx, "dynamodb-local", ddbPort, "dynamodb", opts.InMemory, localstack.StartDynamoDB); err != nil {
			return nil, err
		}
		s.DynamoDB.Started = true
	}
	if kinAttached {
		say("using the kinesalite already listening at %s", s.Kinesis.Endpoint)
	} else {
		say("starting kinesalite on %s (log: %s)", s.Kinesis.Endpoint, s.logPath("kinesalite"))
		if err := s.start(ctx, "kinesalite", kinPort, "kinesis", opts.InMemory, localstack.StartKinesis); err != nil {
			return nil, err
		}
		s.Kinesis.Started = true
	}
	s.Env = map[string]string{
		config.EnvStage:            Stage,
		config.EnvRegion:           Region,
		config.EnvDynamoDBEndpoint: s.DynamoDB.Endpoint,
		config.EnvKinesisEndpoint:  s.Kinesis.Endpoint,
		config.EnvIdentityKey:      base64.StdEncoding.EncodeToString(key),
		// The local Amazon Connect instance and its queues, for the load watcher.
		config.EnvConnectEndpoint:   orString(opts.ConnectEndpoint, DefaultConnectEndpoint),
		config.EnvConnectInstanceID: localconnect.DefaultInstanceID,
		config.EnvConnectQueueIDs:   strings.Join(localconnect.QueueIDs(localconnect.DefaultQueues), ","),
	}
	if s.Config, err = config.FromLookup(func(k string) (string, bool) { v, ok := s.Env[k]; return v, ok }); err != nil {
		return nil, err
	}
	if s.Clients, err = awsclients.New(ctx, s.Config); err != nil {
		return nil, err
	}
	if opts.Reset && ddbAttached {
		if err := store.DeleteTables(ctx, s.Clients.DynamoDB, Stage); err != nil {
			return nil, err
		}
	}
	if opts.Reset && kinAttached {
		if err := store.DeleteStreams(ctx, s.Clients.Kinesis, Stage); err != nil {
			return nil, err
		}
	}
	if err := store.EnsureTables(ctx, s.Clients.DynamoDB, Stage); err != nil {
		return nil, notLocal("DynamoDB Local", s.DynamoDB, err)
	}
	if err := store.EnsureStreams(ctx, s.Clients.Kinesis, Stage); err != nil {
		return nil, notLocal("kinesalite", s.Kinesis, err)
	}
	return s, nil
}

func (s *Stack) start(ctx context.Context, name string, port int, dataDir string, inMemory bool,
	start func(context.Context, localstack.Options) (*localstack.Server, error)) error {
	if err := os.MkdirAll(s.Paths.Logs, 0o755); err != nil {
		return err
	}
	log, err := os.Create(s.logPath(name))
	if err != nil {
		return err
	}
	s.logs = append(s.logs, log)
	opts := localstack.Options{Root: s.Paths.Root, Port: port, Log: log}
	if !inMemory {
		opts.DataDir = filepath.Join(s.Paths.Data, dataDir)
	}
	srv, err := start(ctx, opts)
	if err != nil {
		return fmt.Errorf("%w (see %s)", err, s.logPath(name))
	}
	s.servers = append(s.servers, srv)
	return nil
}

func (s *Stack) logPath(name string) string { return filepath.Join(s.Paths.Logs, name+".log") }

// notLocal explains a failure against a server this stack did not start:
// most likely something else holds the port.
func notLocal(what string, p Part, err error) error {
	if p.Started {
		return err
	}
	return fmt.Errorf("%s at %s did not answer as expected (is something else using the port?): %w", what, p.Endpoint, err)
}

// Stop stops the servers this stack started and waits for them to exit;
// attached servers are left running.
func (s *Stack) Stop() {
	for i := len(s.servers) - 1; i >= 0; i-- {
		s.servers[i].Stop()
	}
	s.servers = nil
	for _, l := range s.logs {
		l.Close()
	}
	s.logs = nil
}

// Done is closed when a server this stack started exits, on its own or
// through Stop.
func (s *Stack) Done() <-chan struct{} {
	done := make(chan struct{})
	var closeOnce sync.Once
	for _, srv := range s.servers {
		go func() { <-srv.Done(); closeOnce.Do(func() { close(done) }) }()
	}
	return done
}

// IdentityKeyFile is the identity HMAC key's file name inside .conduit.
const IdentityKeyFile = "identity-key"

// IdentityKey returns the local identity HMAC key, made on first use and
// kept under dir, so identity keys stay stable across runs.
func IdentityKey(dir string) ([]byte, error) {
	raw, err := once.File(filepath.Join(dir, IdentityKeyFile), func() ([]byte, error) {
		var k [32]byte
		if _, err := rand.Read(k[:]); err != nil {
			return nil, err
		}
		return []byte(base64.StdEncoding.EncodeToString(k[:]) + "\n"), nil
	})
	if err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) < 16 {
		return nil, errors.New(filepath.Join(dir, IdentityKeyFile) + " is not a base64 key of at least 16 bytes; delete it to make a new one (stored identity keys will no longer match)")
	}
	return key, nil
}

func orString(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
