//go:build !unix

package api

import "time"

// processCPU: this system's process CPU time is not read here.
func processCPU() (time.Duration, bool) { return 0, false }
