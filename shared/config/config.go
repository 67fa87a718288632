// Package config reads Conduit's settings once, at cold start, into a typed
// struct. A missing or malformed setting fails start-up with a message naming
// it, so a misconfigured function never answers a contact.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is every setting a Conduit process reads from its environment.
type Config struct {
	// Stage names the deployment (dev, prod, local); tables and streams carry it.
	Stage string
	// Region is the AWS region for every client.
	Region string
	// DynamoDBEndpoint and KinesisEndpoint override the AWS endpoints for local use.
	DynamoDBEndpoint string
	KinesisEndpoint  string
	// ConnectEndpoint overrides the Amazon Connect API endpoint (the local runner serves one).
	ConnectEndpoint string
	// IdentityKey is the secret key of the HMAC that turns phone numbers and
	// emails into identity keys; the raw values are never stored.
	IdentityKey []byte
	// DecisionDeadline bounds the offer function's own work, well under the
	// contact flow's timeout.
	DecisionDeadline time.Duration
	// CatalogRefresh is how often a warm instance reloads offers, campaigns,
	// load states and propensities.
	CatalogRefresh time.Duration
	// ConnectInstanceID and ConnectQueueIDs scope the load watcher.
	ConnectInstanceID string
	ConnectQueueIDs   []string
	// EventBusName receives routed voice-of-customer events.
	EventBusName string
}

// Environment variable names, in one place so infra/ and the local runner set
// exactly what Load reads.
const (
	EnvStage             = "CONDUIT_STAGE"
	EnvRegion            = "AWS_REGION"
	EnvDynamoDBEndpoint  = "CONDUIT_DYNAMODB_ENDPOINT"
	EnvKinesisEndpoint   = "CONDUIT_KINESIS_ENDPOINT"
	EnvConnectEndpoint   = "CONDUIT_CONNECT_ENDPOINT"
	EnvIdentityKey       = "CONDUIT_IDENTITY_KEY"
	EnvDecisionDeadline  = "CONDUIT_DECISION_DEADLINE"
	EnvCatalogRefresh    = "CONDUIT_CATALOG_REFRESH"
	EnvConnectInstanceID = "CONDUIT_CONNECT_INSTANCE_ID"
	EnvConnectQueueIDs   = "CONDUIT_CONNECT_QUEUE_IDS"
	EnvEventBusName      = "CONDUIT_EVENT_BUS"
	// EnvServiceLevelSeconds is T of service level SL(T) in seconds
	// (default 20). Not part of Config: the rollup and loadwatch functions
	// read it, so the KPIs and the load gate mean the same service level.
	// Change it only with a backfill of the history to keep.
	EnvServiceLevelSeconds = "CONDUIT_SERVICE_LEVEL_SECONDS"
)

// Defaults for optional settings.
const (
	DefaultDecisionDeadline = time.Second
	DefaultCatalogRefresh   = 15 * time.Second
	minIdentityKeyBytes     = 16
)

// Load reads the configuration from the process environment.
func Load() (Config, error) { return FromLookup(os.LookupEnv) }

// MustLoad is Load for main functions: a bad setting stops the process.
func MustLoad() Config {
	cfg, err := Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "conduit: configuration:", err)
		os.Exit(2)
	}
	return cfg
}

// FromLookup reads the configuration through lookup, so tests need no real
// environment. Every problem is reported, not only the first.
func FromLookup(lookup func(string) (string, bool)) (Config, error) {
	var problems []error
	get := func(name string) string {
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}
	required := func(name string) string {
		v := get(name)
		if v == "" {
			problems = append(problems, fmt.Errorf("%s is required", name))
		}
		return v
	}
	duration := func(name string, def time.Duration) time.Duration {
		v := get(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			problems = append(problems, fmt.Errorf("%s=%q is not a positive duration such as 800ms", name, v))
			return def
		}
		return d
	}

	cfg := Config{
		Stage:             required(EnvStage),
		Region:            required(EnvRegion),
		DynamoDBEndpoint:  get(EnvDynamoDBEndpoint),
		KinesisEndpoint:   get(EnvKinesisEndpoint),
		ConnectEndpoint:   get(EnvConnectEndpoint),
		DecisionDeadline:  duration(EnvDecisionDeadline, DefaultDecisionDeadline),
		CatalogRefresh:    duration(EnvCatalogRefresh, DefaultCatalogRefresh),
		ConnectInstanceID: get(EnvConnectInstanceID),
		EventBusName:      get(EnvEventBusName),
	}
	if ids := get(EnvConnectQueueIDs); ids != "" {
		for _, id := range strings.Split(ids, ",") {
			if id = strings.TrimSpace(id); id != "" {
				cfg.ConnectQueueIDs = append(cfg.ConnectQueueIDs, id)
			}
		}
	}
	if cfg.Stage != "" && !validStage(cfg.Stage) {
		problems = append(problems, fmt.Errorf("%s=%q must be 1-16 lower-case letters, digits or '-'", EnvStage, cfg.Stage))
	}
	if key := required(EnvIdentityKey); key != "" {
		raw, err := base64.StdEncoding.DecodeString(key)
		switch {
		case err != nil:
			problems = append(problems, fmt.Errorf("%s must be base64: %v", EnvIdentityKey, err))
		case len(raw) < minIdentityKeyBytes:
			problems = append(problems, fmt.Errorf("%s must hold at least %d bytes, has %d", EnvIdentityKey, minIdentityKeyBytes, len(raw)))
		default:
			cfg.IdentityKey = raw
		}
	}
	if cfg.DecisionDeadline > 7*time.Second {
		problems = append(problems, fmt.Errorf("%s=%s must stay under Connect's 8s flow timeout", EnvDecisionDeadline, cfg.DecisionDeadline))
	}
	return cfg, errors.Join(problems...)
}

func validStage(s string) bool {
	if len(s) > 16 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Int reads an optional integer setting; functions with settings of their own use it.
func Int(lookup func(string) (string, bool), name string, def int) (int, error) {
	v, ok := lookup(name)
	if !ok || strings.TrimSpace(v) == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return def, fmt.Errorf("%s=%q is not a whole number", name, v)
	}
	return n, nil
}
