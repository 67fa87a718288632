//go:build unix

package decide

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used (user + system), so a
// benchmark can report its cost even on a machine shared with other work,
// where wall time also counts the waits for a free core.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
