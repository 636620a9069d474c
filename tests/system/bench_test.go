package system

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestBenchLoad runs `aitbcd bench load` for a few seconds against a devnet,
// with the results read after the run (the default) and during it, and
// checks that every transaction it sent was committed, counting the blocks'
// transactions independently through CometBFT RPC. The devnet runs without
// CometBFT's transaction index, as a validator may: the generator must not
// need it.
func TestBenchLoad(t *testing.T) {
	n := newNode(t, filepath.Join(t.TempDir(), "devnet"))
	n.mustCLI("devnet", "--no-start")
	n.start([]string{"BLOCK_TIME=300ms", "AITBCD_TX_INDEX_INDEXER=null"}, append([]string{"devnet", "--home", n.home, "--"}, n.startArgs()...)...)
	n.waitForHeight(2, 60*time.Second)
	for _, live := range []bool{false, true} {
		t.Run("live-results="+strconv.FormatBool(live), func(t *testing.T) { benchLoadOnce(t, n, live) })
	}
}

func benchLoadOnce(t *testing.T, n *node, live bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, aitbcdBin, "bench", "load", "--home", n.home, "--node", n.rpcAddr(),
		"--from", "faucet", "--accounts", "20", "--rate", "60", "--duration", "3s", "--connections", "3",
		"--pid", strconv.Itoa(n.proc.Process.Pid), "--json", "--live-results="+strconv.FormatBool(live))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench load: %v\n%s\n%s\n%s", err, stdout.String(), stderr.String(), n.logTail())
	}
	var report struct {
		Planned     int `json:"planned"`
		Sent        int `json:"sent"`
		Accepted    int `json:"accepted"`
		Rejected    int `json:"rejected"`
		Committed   int `json:"committed"`
		Uncommitted int `json:"uncommitted"`
		Blocks      struct {
			FirstHeight int64 `json:"first_height"`
			LastHeight  int64 `json:"last_height"`
		} `json:"blocks"`
		Nodes []struct {
			PeakRSSMiB float64 `json:"peak_rss_mib"`
		} `json:"nodes"`
		Generator *struct {
			PeakRSSMiB float64 `json:"peak_rss_mib"`
		} `json:"load_generator"`
		LiveResults bool `json:"live_results"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("decoding the report: %v\n%s", err, stdout.String())
	}
	t.Logf("report: %s", stdout.String())
	if report.Sent == 0 || report.Sent != report.Planned {
		t.Fatalf("sent %d of %d planned", report.Sent, report.Planned)
	}
	if report.Accepted != report.Sent || report.Rejected != 0 || report.Uncommitted != 0 || report.Committed != report.Sent {
		t.Fatalf("not every sent transaction was committed: %+v", report)
	}
	if len(report.Nodes) != 1 || report.Nodes[0].PeakRSSMiB <= 0 {
		t.Fatalf("no resource figures for the node: %+v", report.Nodes)
	}
	if report.Generator == nil || report.Generator.PeakRSSMiB <= 0 {
		t.Fatalf("no resource figures for the load generator: %s", stdout.String())
	}
	if report.LiveResults != live {
		t.Fatalf("report says live_results=%v, the run asked for %v", report.LiveResults, live)
	}

	// The blocks the report names hold at least that many transactions
	// (/blockchain returns at most 20 blocks per call).
	inBlocks := 0
	for from := report.Blocks.FirstHeight; from <= report.Blocks.LastHeight; from += 20 {
		to := min(from+19, report.Blocks.LastHeight)
		for _, m := range n.blockchain(from, to) {
			inBlocks += m.NumTxs
		}
	}
	if inBlocks < report.Committed {
		t.Fatalf("blocks %d–%d hold %d transactions, fewer than the %d reported committed",
			report.Blocks.FirstHeight, report.Blocks.LastHeight, inBlocks, report.Committed)
	}
}
