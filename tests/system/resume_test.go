package system

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// preSplitCommitFile names the commit of the last binary built before the
// app's keepers moved into app/keepers and its orders into app/modules.go:
// the chain it makes must resume, and replay from genesis, under today's
// binary.
const preSplitCommitFile = "testdata/pre-split.commit"

// oldBinary builds aitbcd at the commit recorded in file, with
// scripts/build-at-commit.sh, into build/at-commit/<commit>/aitbcd, where
// later runs find it. A commit missing from the clone (a shallow one) fails
// the test with the script's message.
func oldBinary(t *testing.T, file string) string {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	commit := strings.TrimSpace(string(raw))
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "build", "at-commit", commit, "aitbcd")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	started := time.Now()
	build := exec.CommandContext(ctx, filepath.Join(root, "scripts", "build-at-commit.sh"), commit, out)
	var log bytes.Buffer
	build.Stdout, build.Stderr = &log, &log
	if err := build.Run(); err != nil {
		t.Fatalf("building aitbcd at %s: %v\n%s", commit, err, log.String())
	}
	t.Logf("aitbcd at %s: %s (%.0fs)", commit[:12], out, time.Since(started).Seconds())
	return out
}

// replayedFromGenesis matches CometBFT's handshake log line when the app
// reported no state at all, so every stored block is replayed through it.
var replayedFromGenesis = regexp.MustCompile(`ABCI Replay Blocks.*appHeight=0\b`)

// appHashMismatch matches the panic of CometBFT's replay when an app hash differs.
var appHashMismatch = regexp.MustCompile(`(block|state)\.AppHash does not match AppHash after replay\. Got\s+[0-9A-F]*, expected [0-9A-F]*`)

// TestPreSplitChainResumesAndReplays: a chain made by the binary from before
// the keepers/modules split (transfers and x/compute work included: a
// provider, a delivered job, a job expired by the end-blocker with the
// provider slashed) resumes under today's binary, and today's binary replays
// all of it from genesis with every app hash checked.
//
// The replay check is CometBFT's: with data/application.db deleted the app
// answers Info with height 0, and the handshake (consensus/replay.go,
// Handshaker.ReplayBlocksWithContext in v0.40) sends InitChain with the
// stored genesis, then runs every stored block through FinalizeBlock and
// Commit (replayBlocks → sm.ExecCommitBlock). Before each block after the
// first it panics unless the app hash the app returned for the previous block
// equals that block's header AppHash (assertAppHashEqualsOneFromBlock), and
// after the last one unless it equals the AppHash in CometBFT's saved state
// (assertAppHashEqualsOneFromState). Any change to what a block writes
// (module order, store keys, params) makes the node exit during the handshake.
// Resuming alone proves less: a lone validator writes whatever app hash it
// computes into its next block, and nobody compares. With mint and
// distribution swapped in the begin-block order, part (a) passed and part (b)
// failed at the first replayed block.
func TestPreSplitChainResumesAndReplays(t *testing.T) {
	oldBin := oldBinary(t, preSplitCommitFile)
	newBin := aitbcdBin
	// The package's helpers run aitbcdBin, and no test here runs in parallel:
	// the first part runs them on the old binary.
	aitbcdBin = oldBin
	defer func() { aitbcdBin = newBin }()

	n := initChain(t)
	n.mustCLI("keys", "add", "worker", "--keyring-backend", "test")
	startArgs := append([]string{"start", "--home", n.home}, n.startArgs()...)
	n.start(nil, startArgs...)
	n.waitForHeight(2, 90*time.Second)

	alice, bob := n.keyAddress("alice"), n.keyAddress("bob")
	res, err := n.send("alice", bob, "777"+denom)
	if err != nil {
		t.Fatal(err)
	}
	n.awaitTxCommitted(res, 30*time.Second)
	workerKey := strings.TrimSpace(n.mustCLI("keys", "show", "worker", "--pubkey", "--keyring-backend", "test"))
	n.tx("bob", "compute", "register-provider", workerKey, "1000", "200000000", "llama-3-8b",
		"--endpoint", "https://gpu.example/v1")
	n.tx("alice", "compute", "submit-job", "inference", "llama-3-8b", sha256Hex("prompt"), "100", "1500", "50")
	n.tx("bob", "compute", "accept-job", "1")
	output := sha256Hex("completion")
	sig := strings.TrimSpace(n.mustCLI("tx", "compute", "sign-receipt", "1", output, "60", "1000",
		"--from", "worker", "--chain-id", testChainID, "--keyring-backend", "test"))
	n.tx("bob", "compute", "submit-receipt", "1", output, "60", sig)
	// Accepted and never delivered: the end-blocker expires it, refunds and slashes.
	n.tx("alice", "compute", "submit-job", "inference", "llama-3-8b", sha256Hex("prompt-2"), "10", "1000", "3")
	n.tx("bob", "compute", "accept-job", "2")
	n.waitForJobState(2, "JOB_STATE_EXPIRED", 60*time.Second)

	type snapshot struct{ alice, bob, job1, job2 string }
	read := func() snapshot {
		return snapshot{n.balanceCLI(alice).String(), n.balanceCLI(bob).String(), n.job(1).State, n.job(2).State}
	}
	oldState := read()
	if err := n.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("stopping the old binary: %v\n%s", err, n.logTail())
	}
	aitbcdBin = newBin
	oldHeight := lastHeight(t, n)
	t.Logf("old binary stopped at height %d: %+v", oldHeight, oldState)

	// (a) Resume: the new binary loads the old app state and goes on.
	n.start(nil, startArgs...)
	n.waitForHeight(oldHeight+1, 60*time.Second)
	if got := read(); got != oldState {
		t.Fatalf("state read by the new binary %+v, the old one wrote %+v", got, oldState)
	}
	res, err = n.send("bob", alice, "555"+denom)
	if err != nil {
		t.Fatal(err)
	}
	n.awaitTxCommitted(res, 30*time.Second) // on the resumed chain
	resumedState := read()
	if err := n.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("stopping the resumed node: %v\n%s", err, n.logTail())
	}
	resumedHeight := lastHeight(t, n)

	// (b) Replay: only the application state goes; the block store, CometBFT's
	// state and the genesis stay. The handshake replays every block.
	appDB := filepath.Join(n.home, "data", "application.db")
	if _, err := os.Stat(appDB); err != nil {
		t.Fatalf("the node's application state is not where the test deletes it: %v", err)
	}
	if err := os.RemoveAll(appDB); err != nil {
		t.Fatal(err)
	}
	logStart := logSize(t, n)
	t.Cleanup(func() {
		if m := appHashMismatch.FindString(n.logSince(logStart)); t.Failed() && m != "" {
			t.Logf("the replay computed a different app hash than the chain recorded: %s", m)
		}
	})
	n.start(nil, startArgs...)
	n.waitForHeight(resumedHeight+2, 5*time.Minute)
	handshake := n.logSince(logStart)
	if !replayedFromGenesis.MatchString(handshake) {
		t.Fatalf("the restarted node did not replay from genesis (no \"ABCI Replay Blocks … appHeight=0\" in its log):\n%s", n.logTail())
	}
	if got := read(); got != resumedState {
		t.Fatalf("state after the replay %+v, before it %+v", got, resumedState)
	}
	t.Logf("replayed %d blocks (%d made by the old binary) and went on to height %d", resumedHeight, oldHeight, resumedHeight+2)
}

// lastHeight is the last height the stopped node committed: the last
// "committed state" line in its log (the node is down, so RPC cannot tell).
func lastHeight(t *testing.T, n *node) int64 {
	t.Helper()
	matches := committedHeight.FindAllStringSubmatch(n.logSince(0), -1)
	if len(matches) == 0 {
		t.Fatalf("no committed height in the node's log:\n%s", n.logTail())
	}
	var h int64
	for _, d := range matches[len(matches)-1][1] {
		h = h*10 + int64(d-'0')
	}
	return h
}

var committedHeight = regexp.MustCompile(`committed state.*?height=(\d+)`)

func logSize(t *testing.T, n *node) int64 {
	t.Helper()
	info, err := os.Stat(filepath.Join(n.home, "node.log"))
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// logSince returns the node's log from byte offset on, without the colour
// codes the console logger writes.
func (n *node) logSince(offset int64) string {
	raw, _ := os.ReadFile(filepath.Join(n.home, "node.log"))
	if offset > int64(len(raw)) {
		return ""
	}
	return ansiColour.ReplaceAllString(string(raw[offset:]), "")
}

var ansiColour = regexp.MustCompile(`\x1b\[[0-9;]*m`)
