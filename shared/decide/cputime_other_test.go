//go:build !unix

package decide

import "time"

// processCPU is not measured outside unix; benchmarks then report 0.
func processCPU() time.Duration { return 0 }
