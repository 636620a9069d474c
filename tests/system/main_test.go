// Package system holds black-box tests of the aitbcd binary: they start real
// nodes on loopback ports, drive them through the CLI and CometBFT RPC, stop
// them with signals, and check what survives.
package system

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// aitbcdBin is the binary under test: $AITBCD_BIN (make test-system builds it
// once), or build/aitbcd made here by `make build` for a plain `go test`.
var aitbcdBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	aitbcdBin = os.Getenv("AITBCD_BIN")
	if aitbcdBin == "" {
		// The Makefile's build stamps the version and git commit into the binary.
		build := exec.Command("make", "-C", "../..", "build")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		aitbcdBin, _ = filepath.Abs("../../build/aitbcd")
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building aitbcd:", err)
			return 1
		}
	}
	if _, err := os.Stat(aitbcdBin); err != nil {
		fmt.Fprintln(os.Stderr, "aitbcd binary:", err)
		return 1
	}
	return m.Run()
}
