package system

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIndexerAsksOnlyForStoredResults: over 30 blocks of an idle devnet the
// SQL indexer never asks for a block whose results CometBFT has not stored
// yet (CometBFT stores a block before executing it), so neither it nor
// CometBFT logs "could not find results for height".
func TestIndexerAsksOnlyForStoredResults(t *testing.T) {
	t.Parallel() // its own network; runs beside the others
	n := newNode(t, filepath.Join(t.TempDir(), "devnet"))
	n.mustCLI("devnet", "--no-start")
	// The default 1s block time: there the old indexer hit the window every 5-10 blocks.
	n.start(nil, append([]string{"devnet", "--home", n.home, "--"}, n.startArgs()...)...)
	n.waitForHeight(31, 90*time.Second)

	raw, err := os.ReadFile(filepath.Join(n.home, "node.log"))
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.Contains(line, "could not find results") || strings.Contains(line, "indexer: will retry") {
			bad = append(bad, line)
		}
	}
	if len(bad) > 0 {
		t.Fatalf("%d log lines about missing block results in 30 blocks, e.g.\n%s", len(bad), strings.Join(bad[:min(len(bad), 4)], "\n"))
	}
	if !strings.Contains(string(raw), "starting SQL indexer") {
		t.Fatalf("the devnet's SQL indexer did not start:\n%s", n.logTail())
	}
}
