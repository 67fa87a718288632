package devstack

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIdentityKeyIsMadeOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	first, err := IdentityKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 32 {
		t.Fatalf("a key of %d bytes, want 32", len(first))
	}
	again, err := IdentityKey(dir)
	if err != nil || !bytes.Equal(first, again) {
		t.Fatalf("the key changed between runs (%v)", err)
	}
	if err := os.WriteFile(filepath.Join(dir, IdentityKeyFile), []byte("not base64!"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := IdentityKey(dir); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Fatalf("a damaged key file: %v, want an error saying what to do", err)
	}
}
