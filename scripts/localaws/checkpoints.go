package localaws

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
)

// Checkpoints keep, per function, stream and shard, the sequence number of
// the last record handled for good (processed, or sent to the failure
// destination). Reading resumes after it.
type Checkpoints interface {
	Load(key string) (string, error)
	Save(key, sequenceNumber string) error
}

// MemoryCheckpoints keep checkpoints for the life of the process.
type MemoryCheckpoints struct {
	mu sync.Mutex
	m  map[string]string
}

// Load returns the checkpoint of key, or "".
func (c *MemoryCheckpoints) Load(key string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key], nil
}

// Save sets the checkpoint of key.
func (c *MemoryCheckpoints) Save(key, seq string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]string{}
	}
	c.m[key] = seq
	return nil
}

// FileCheckpoints keep checkpoints in a JSON file, so a restarted runner
// resumes where it stopped over the data kinesalite kept.
type FileCheckpoints struct {
	Path string
	mu   sync.Mutex
}

func (c *FileCheckpoints) read() (map[string]string, error) {
	m := map[string]string{}
	raw, err := os.ReadFile(c.Path)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// Load returns the checkpoint of key, or "".
func (c *FileCheckpoints) Load(key string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, err := c.read()
	return m[key], err
}

// Save sets the checkpoint of key, replacing the file atomically.
func (c *FileCheckpoints) Save(key, seq string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, err := c.read()
	if err != nil {
		return err
	}
	m[key] = seq
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.Path), 0o755); err != nil {
		return err
	}
	tmp := c.Path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, c.Path)
}
