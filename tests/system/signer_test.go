package system

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cometbft/cometbft/privval"

	"github.com/aitbc/chain/keyguard"
)

// Validator key safety (docs/operations.md "Validator keys"): a validator
// signing through `aitbcd signer`, a copied key that refuses to sign, and
// start refusing the wrong key.

const consPrefix = "aitvalcons"

// startSigner runs validator i's remote signer (`aitbcd signer`, the command
// `localnet start` runs) as a child process of the test; its output goes to
// node.log in the signer's directory.
func (ln *localnet) startSigner(i int) *node {
	ln.t.Helper()
	s := &node{t: ln.t, home: ln.net.SignerHome(i), chainID: ln.net.ChainID}
	s.start(nil, "signer", "--home", s.home, "--node", ln.net.SignerAddress(i), "--chain-id", ln.net.ChainID)
	return s
}

// signerPubKey is validator i's consensus public key in the JSON form the
// CLI takes, read from its key file (node or signer).
func (ln *localnet) signerPubKey(i int) string {
	ln.t.Helper()
	key, err := keyguard.LoadKeyFile(ln.net.ConsensusKeyFile(i))
	if err != nil {
		ln.t.Fatal(err)
	}
	return pubKeyJSON(&privval.FilePV{Key: key})
}

// evidenceHeights are the heights in from..to whose block carries evidence.
func (n *node) evidenceHeights(from, to int64) []int64 {
	n.t.Helper()
	var hs []int64
	for h := from; h <= to; h++ {
		if len(n.block(h).Block.Evidence.Evidence) > 0 {
			hs = append(hs, h)
		}
	}
	return hs
}

// waitForExit waits for the node's process to end by itself and returns
// its error (nil for exit status 0); it fails the test if it still runs
// after within.
func (n *node) waitForExit(within time.Duration) error {
	n.t.Helper()
	select {
	case err := <-n.done:
		n.proc = nil
		n.log.Close()
		return err
	case <-time.After(within):
		n.t.Fatalf("still running %s after it should have stopped\n%s", within, n.logTail())
		return nil
	}
}

// exited reports whether the node's process has ended (without waiting).
func (n *node) exited() bool {
	select {
	case err := <-n.done:
		n.done <- err // leave it for stop
		return true
	default:
		return false
	}
}

func (n *node) logHas(s string) bool {
	raw, _ := os.ReadFile(filepath.Join(n.home, "node.log"))
	return strings.Contains(string(raw), s)
}

func (n *node) logCount(s string) int {
	raw, _ := os.ReadFile(filepath.Join(n.home, "node.log"))
	return strings.Count(string(raw), s)
}

// TestRemoteSignerOnLocalnet: `localnet start --remote-signer` moves each of
// four validators' keys into its own signer; the nodes start with
// VALIDATOR_ADDRESS (hex with 0x, and bech32) and sign through the signers.
// node3's signer is killed with SIGKILL: the chain goes on with the other
// three, node3 stays up following blocks and signs none; the signer comes
// back and node3 signs again within a few blocks. No block carries evidence
// and node3 is neither jailed nor tombstoned.
func TestRemoteSignerOnLocalnet(t *testing.T) {
	t.Parallel()
	ln := createLocalnet(t, localnetOptions{Validators: 4})
	out := runBin(t, nil, "localnet", "start", "--no-start", "--remote-signer", "--home", ln.dir)
	signers := make([]*node, len(ln.nodes))
	for i := range ln.nodes {
		if !ln.net.HasRemoteSigner(i) {
			t.Fatalf("node%d's key was not moved to a signer\n%s", i, out)
		}
		for _, f := range []string{"config/priv_validator_key.json", "data/priv_validator_state.json"} {
			if _, err := os.Stat(filepath.Join(ln.nodes[i].home, f)); !os.IsNotExist(err) {
				t.Fatalf("node%d still holds %s after the move (%v)", i, f, err)
			}
		}
		signers[i] = ln.startSigner(i)
	}
	for i, n := range ln.nodes {
		addr := ln.consensusAddressFromKey(i)
		want := "0x" + addr
		if i%2 == 1 {
			raw, _ := hex.DecodeString(addr)
			want = keyguard.Bech32(raw, consPrefix)
		}
		n.start(append(ln.env, keyguard.EnvValidatorAddress+"="+want), "start", "--home", n.home)
	}
	ln.waitAllHeight(3, 3*time.Minute)
	for i := range ln.nodes {
		if got, want := ln.consensusAddress(i), ln.consensusAddressFromKey(i); got != want {
			t.Fatalf("node%d signs as %s, its signer holds %s", i, got, want)
		}
		if !ln.nodes[i].logHas("remote signer on " + ln.net.SignerAddress(i)) {
			t.Fatalf("node%d's log does not name its remote signer\n%s", i, ln.nodes[i].logTail())
		}
	}
	h := ln.waitAllHeight(ln.maxHeight()+3, time.Minute)
	before := ln.signedBlocks(3, 0, h-3, h)
	if len(before) == 0 {
		t.Fatalf("node3 signed none of blocks %d-%d through its signer", h-3, h)
	}

	// Kill -9 the signer.
	if err := signers[3].stop(syscall.SIGKILL); err == nil {
		t.Fatal("the signer exited cleanly on SIGKILL")
	}
	killedAt := ln.maxHeight()
	lastSigned := ln.signedBlocks(3, 0, killedAt-3, killedAt)
	// node3's consensus waits in CometBFT's RetrySignerClient for a signer
	// (up to 50 attempts of 3 s each per signature), so it stops following
	// the chain too; the other three go on.
	after := killedAt + 6
	for i := 0; i < 3; i++ {
		ln.nodes[i].waitForHeight(after, 90*time.Second)
	}
	stuck, err := ln.nodes[3].height()
	if err != nil || ln.nodes[3].exited() {
		t.Fatalf("node3 is not up without its signer (%v)\n%s", err, ln.nodes[3].logTail())
	}
	// The block in flight at the kill may carry a precommit signed just before it.
	if signed := ln.signedBlocks(3, 0, killedAt+2, after); len(signed) != 0 {
		t.Fatalf("node3 signed blocks %v after its signer was killed at height %d", signed, killedAt)
	}
	t.Logf("signer of node3 killed at height %d: the other three reached %d; node3 stayed up at height %d, signing nothing",
		killedAt, after, stuck)

	// Restart it.
	restartAt := ln.maxHeight()
	restarted := time.Now()
	signers[3] = ln.startSigner(3)
	var firstSigned int64
	for deadline := time.Now().Add(2 * time.Minute); firstSigned == 0; {
		top := ln.waitAllHeight(ln.maxHeight()+1, 2*time.Minute) // node3 included: it caught up
		if s := ln.signedBlocks(3, 0, restartAt+1, top); len(s) > 0 {
			firstSigned = s[0]
		} else if time.Now().After(deadline) {
			t.Fatalf("node3 signed none of blocks %d-%d after its signer restarted\n%s", restartAt+1, top, signers[3].logTail())
		}
	}
	back := time.Since(restarted)
	top := ln.waitAllHeight(firstSigned+6, time.Minute)
	kept := ln.signedBlocks(3, 0, firstSigned, top)
	if len(kept) < 4 {
		t.Fatalf("after its signer came back node3 signed only %v of blocks %d-%d", kept, firstSigned, top)
	}
	lastBefore := killedAt
	if len(lastSigned) > 0 {
		lastBefore = lastSigned[len(lastSigned)-1]
	}
	t.Logf("signer restarted at height %d: first signature at height %d, %.1fs later (%d blocks after the restart); "+
		"node3 missed %d blocks in all (%d-%d) and then signed %d of blocks %d-%d",
		restartAt, firstSigned, back.Seconds(), firstSigned-restartAt-1, firstSigned-lastBefore-1, lastBefore+1, firstSigned-1,
		len(kept), firstSigned, top)

	// No double sign across the reconnect.
	if ev := ln.nodes[0].evidenceHeights(1, top); len(ev) != 0 {
		t.Fatalf("blocks %v carry evidence", ev)
	}
	if info := ln.signingInfo(0, ln.signerPubKey(3)); info.Tombstoned || info.JailedUntil.After(time.Unix(0, 0)) {
		t.Fatalf("node3's signing info after the signer restart: %+v", info)
	}
	refusals := signers[3].logCount("refused to sign")
	t.Logf("the restarted signer refused %d requests (CometBFT's FilePV rules)", refusals)
	ln.checkNoFork(top)
}

// TestCopiedValidatorKeyRefusesToSign: a full node started with a copy of a
// running validator's key and the default double_sign_check_height (10)
// block-syncs, finds the key's signatures in the last blocks and stops
// before it signs anything: no evidence, the validator keeps signing. The
// validator's own quick restart is then excused from the same check (its
// signatures at the top of its block store are its own) and it signs again.
func TestCopiedValidatorKeyRefusesToSign(t *testing.T) {
	t.Parallel()
	ln := createLocalnet(t, localnetOptions{Validators: 4})
	ln.startAll()
	ln.waitAllHeight(3, 3*time.Minute)

	copyIdx := ln.addNode()
	cp := ln.nodes[copyIdx]
	configToml := filepath.Join(cp.home, "config", "config.toml")
	if raw, err := os.ReadFile(configToml); err != nil || !strings.Contains(string(raw), "double_sign_check_height = 10") {
		t.Fatalf("a new node's config.toml should carry double_sign_check_height = 10 (%v)", err)
	}
	key, err := os.ReadFile(filepath.Join(ln.nodes[3].home, "config", "priv_validator_key.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cp.home, "config", "priv_validator_key.json"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	from := ln.maxHeight()
	started := time.Now()
	ln.startNode(copyIdx)
	if err := cp.waitForExit(2 * time.Minute); err == nil {
		t.Fatal("the node with the copied key exited with status 0")
	}
	if !cp.logHas("found signature from the same key") {
		t.Fatalf("the copy stopped for another reason\n%s", cp.logTail())
	}
	t.Logf("the copy of node3's key stopped %.1fs after its start, before signing", time.Since(started).Seconds())

	top := ln.waitAllHeight(ln.maxHeight()+3, time.Minute)
	if ev := ln.nodes[0].evidenceHeights(from, top); len(ev) != 0 {
		t.Fatalf("blocks %v carry evidence although the copy never signed", ev)
	}
	if s := ln.signedBlocks(3, 0, top-2, top); len(s) == 0 {
		t.Fatalf("node3 stopped signing (blocks %d-%d)", top-2, top)
	}
	if info := ln.signingInfo(0, ln.signerPubKey(3)); info.Tombstoned || info.JailedUntil.After(time.Unix(0, 0)) {
		t.Fatalf("node3's signing info: %+v", info)
	}

	// node3's own restart, a few seconds: CometBFT alone would refuse it too.
	ln.stopNode(3)
	restartAt := ln.maxHeight()
	ln.startNode(3)
	back := ln.waitAllHeight(restartAt+5, 2*time.Minute)
	if s := ln.signedBlocks(3, 0, restartAt+2, back); len(s) == 0 {
		t.Fatalf("node3 signed none of blocks %d-%d after its restart\n%s", restartAt+2, back, ln.nodes[3].logTail())
	}
	if !ln.nodes[3].logHas("double-sign lookback off for this start") || !ln.nodes[3].logHas("a restart within") {
		t.Fatalf("node3's log does not say why its restart skipped the lookback\n%s", ln.nodes[3].logTail())
	}
}

// TestStartRefusesTheWrongKey: start stops before opening any port, with an
// error naming VALIDATOR_ADDRESS and both addresses, when the key it would
// sign with (local file or remote signer) is not the one VALIDATOR_ADDRESS
// names; it refuses a malformed VALIDATOR_ADDRESS and a world-readable key
// file, and a remote signer that never dials. With the right address it
// runs.
func TestStartRefusesTheWrongKey(t *testing.T) {
	t.Parallel()
	ln := createLocalnet(t, localnetOptions{Validators: 1})
	n := ln.nodes[0]
	own := ln.consensusAddressFromKey(0)
	other := strings.Repeat("AB", 20)
	otherBech32 := keyguard.Bech32(mustHex(t, other), consPrefix)

	refuse := func(env []string, args []string, want ...string) {
		t.Helper()
		started := time.Now()
		_, err := runBinErr(env, append([]string{"start", "--home", n.home}, args...)...)
		if err == nil {
			t.Fatalf("start with %v succeeded", env)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Fatalf("start with %v: error does not name %q:\n%v", env, w, err)
			}
		}
		if _, err := n.height(); err == nil {
			t.Fatalf("start with %v answered on its RPC port", env)
		}
		t.Logf("refused in %.1fs: %s", time.Since(started).Seconds(), lastLine(err.Error()))
	}

	refuse([]string{"VALIDATOR_ADDRESS=" + other}, nil,
		"VALIDATOR_ADDRESS="+other, otherBech32, own, "priv_validator_key.json", "refusing to start")
	refuse([]string{"VALIDATOR_ADDRESS=" + otherBech32}, nil, "VALIDATOR_ADDRESS="+otherBech32, own)
	refuse([]string{"VALIDATOR_ADDRESS=0xnothex"}, nil, "invalid VALIDATOR_ADDRESS")

	keyFile := filepath.Join(n.home, "config", "priv_validator_key.json")
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	refuse(nil, nil, keyFile, "0644", "chmod 600")
	if err := os.Chmod(keyFile, 0o600); err != nil {
		t.Fatal(err)
	}

	// The key in a remote signer: the same checks against what the signer holds.
	runBin(t, nil, "localnet", "start", "--no-start", "--remote-signer", "--home", ln.dir)
	laddr := ln.net.SignerAddress(0)
	refuse(nil, []string{"--signer-wait", "3s"}, "no remote signer dialed priv_validator_laddr "+laddr)
	signer := ln.startSigner(0)
	refuse([]string{"VALIDATOR_ADDRESS=" + other}, nil, "VALIDATOR_ADDRESS="+other, "the remote signer on "+laddr, own)

	// The right address, in either form: the node runs and makes blocks.
	raw := mustHex(t, own)
	n.start(append(ln.env, "VALIDATOR_ADDRESS="+keyguard.Bech32(raw, consPrefix)), "start", "--home", n.home)
	n.waitForHeight(3, 2*time.Minute)
	_ = signer
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	raw, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
