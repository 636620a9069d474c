package system

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignedTxRightAfterKill9: after kill -9 and a restart, a correctly
// signed transaction is accepted (CheckTx code 0) before the node has made
// any new block. The SDK would take the restarted node's check state
// (height 0) for genesis and check the signature against account number 0
// (code 4). The restarted node runs with BLOCK_TIME=20s, and CometBFT waits
// one block time after start before its first block: the window stays open
// for 20 s, long enough to send through the CLI.
func TestSignedTxRightAfterKill9(t *testing.T) {
	n := newNode(t, filepath.Join(t.TempDir(), "devnet"))
	n.mustCLI("devnet", "--no-start")
	args := append([]string{"devnet", "--home", n.home, "--"}, n.startArgs()...)
	n.start(nil, args...)
	n.waitForHeight(1, 60*time.Second)

	res, err := n.send("alice", devnetBob, "1"+denom)
	if err != nil || res.Code != 0 {
		t.Fatalf("first send: %v %+v", err, res)
	}
	n.waitForTx(res.TxHash, 30*time.Second)

	if err := n.stop(syscall.SIGKILL); err != nil && !strings.Contains(err.Error(), "killed") {
		t.Fatalf("kill -9: %v", err)
	}
	n.start([]string{"BLOCK_TIME=20s"}, args...)
	before := waitRPC(t, n, 60*time.Second)

	res, err = n.send("alice", devnetBob, "2"+denom)
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 {
		t.Fatalf("correctly signed tx right after a restart: code %d: %s", res.Code, res.RawLog)
	}
	if h, _ := n.height(); h != before {
		t.Fatalf("the node made block %d before the tx was checked: the test missed the window after the restart", h)
	}
	if tx := n.waitForTx(res.TxHash, 30*time.Second); tx.Code != 0 {
		t.Fatalf("the tx sent after the restart failed in block %d: code %d: %s", tx.Height, tx.Code, tx.Log)
	}
}

// waitRPC waits until the node's CometBFT RPC answers and returns its height.
func waitRPC(t *testing.T, n *node, within time.Duration) int64 {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if h, err := n.height(); err == nil {
			return h
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("CometBFT RPC not answering %s after the restart\n%s", within, n.logTail())
	return 0
}
