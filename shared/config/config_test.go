package config

import (
	"strings"
	"testing"
	"time"
)

func lookupOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func validEnv() map[string]string {
	return map[string]string{
		EnvStage:       "local",
		EnvRegion:      "us-east-1",
		EnvIdentityKey: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := FromLookup(lookupOf(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DecisionDeadline != DefaultDecisionDeadline || cfg.CatalogRefresh != DefaultCatalogRefresh {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
	if len(cfg.IdentityKey) != 32 {
		t.Fatalf("identity key has %d bytes, want 32", len(cfg.IdentityKey))
	}
}

func TestLoadNamesEveryBadSetting(t *testing.T) {
	cases := []struct {
		name string
		edit func(map[string]string)
		want []string
	}{
		{"missing stage and region", func(m map[string]string) { delete(m, EnvStage); delete(m, EnvRegion) }, []string{EnvStage, EnvRegion}},
		{"identity key not base64", func(m map[string]string) { m[EnvIdentityKey] = "%%%" }, []string{EnvIdentityKey + " must be base64"}},
		{"identity key too short", func(m map[string]string) { m[EnvIdentityKey] = "c2hvcnQ=" }, []string{"at least 16 bytes"}},
		{"deadline not a duration", func(m map[string]string) { m[EnvDecisionDeadline] = "fast" }, []string{EnvDecisionDeadline}},
		{"deadline over flow timeout", func(m map[string]string) { m[EnvDecisionDeadline] = "9s" }, []string{"8s flow timeout"}},
		{"stage with capitals", func(m map[string]string) { m[EnvStage] = "Prod" }, []string{EnvStage}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := validEnv()
			tc.edit(env)
			_, err := FromLookup(lookupOf(env))
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestQueueIDsAndDeadline(t *testing.T) {
	env := validEnv()
	env[EnvConnectQueueIDs] = " q1, ,q2 "
	env[EnvDecisionDeadline] = "800ms"
	cfg, err := FromLookup(lookupOf(env))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.ConnectQueueIDs) != 2 || cfg.ConnectQueueIDs[1] != "q2" {
		t.Fatalf("queue ids = %q", cfg.ConnectQueueIDs)
	}
	if cfg.DecisionDeadline != 800*time.Millisecond {
		t.Fatalf("deadline = %s", cfg.DecisionDeadline)
	}
}
