package system

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	lnet "github.com/aitbc/chain/networks/localnet"
)

// The multi-node harness: a localnet made by `aitbcd localnet start
// --no-start` on a free port range in a temporary directory, whose nodes the
// test runs as its own child processes (`aitbcd start --home <node home>`,
// no other flag: the ports come from the localnet's config files), so it can
// kill, stop and restart each one. Every node is killed in t.Cleanup.

const (
	localnetChainID = lnet.ChainID
	localnetStride  = lnet.PortStride
	// Free port ranges are looked for below Linux's ephemeral range
	// (32768+), where the kernel hands out the ports freePorts gets.
	localnetPortLow, localnetPortHigh = 20000, 32000
)

// localnetOptions shape a test localnet.
type localnetOptions struct {
	Validators    int           // default 4
	FullNodes     int           // nodes after the validators, each with a funded "operator" key
	ConsensusMode string        // --consensus-mode; "" leaves the default (poa)
	VotingPeriod  time.Duration // --voting-period (expedited: half); 0 leaves the default 60s
	Env           []string      // extra environment for every node, e.g. "BLOCK_TIME=500ms"
}

// localnet is a running (or stopped) multi-node network under test: the
// manifest the localnet package wrote (net.Nodes[i] names node i's role, id,
// operator address and ports) and a process handle per node. nodes[i] is
// node i; its home holds its keyring (keys "operator", "faucet", "alice",
// "bob", "carol"), config and node.log.
type localnet struct {
	t     *testing.T
	net   *lnet.Network
	dir   string
	nodes []*node
	env   []string
}

// operator is the address of node i's "operator" key.
func (ln *localnet) operator(i int) string { return ln.net.Nodes[i].Operator }

// createLocalnet makes a localnet with `aitbcd localnet start --no-start`
// without starting any node, so a test can change a genesis or config first.
func createLocalnet(t *testing.T, opts localnetOptions) *localnet {
	t.Helper()
	if opts.Validators == 0 {
		opts.Validators = 4
	}
	dir := filepath.Join(t.TempDir(), "localnet")
	total := opts.Validators + opts.FullNodes
	args := []string{"localnet", "start", "--no-start", "--home", dir,
		"--validators", strconv.Itoa(opts.Validators), "--full-nodes", strconv.Itoa(opts.FullNodes),
		"--base-port", strconv.Itoa(freeBasePort(t, total*localnetStride))}
	if opts.ConsensusMode != "" {
		args = append(args, "--consensus-mode", opts.ConsensusMode)
	}
	if opts.VotingPeriod != 0 {
		args = append(args, "--voting-period", opts.VotingPeriod.String())
	}
	runBin(t, nil, args...)
	return loadLocalnet(t, dir, opts.Env)
}

// loadLocalnet reads dir/localnet.json into the harness's view of the network.
func loadLocalnet(t *testing.T, dir string, env []string) *localnet {
	t.Helper()
	m, err := lnet.Load(dir)
	if err != nil {
		t.Fatalf("reading the localnet: %v", err)
	}
	if m.ChainID != localnetChainID {
		t.Fatalf("localnet chain id %q, want %q", m.ChainID, localnetChainID)
	}
	ln := &localnet{t: t, net: m, dir: dir, env: env}
	for i, mn := range m.Nodes {
		n := &node{t: t, home: m.Home(i), chainID: m.ChainID,
			ports: ports{RPC: mn.Ports.RPC, P2P: mn.Ports.P2P, GRPC: mn.Ports.GRPC, API: mn.Ports.API,
				REST: mn.Ports.FacadeREST, WS: mn.Ports.FacadeWS, Metrics: mn.Ports.Metrics}}
		ln.nodes = append(ln.nodes, n)
	}
	return ln
}

// freeBasePort finds count consecutive loopback ports that are free now.
func freeBasePort(t *testing.T, count int) int {
	t.Helper()
	for attempt := 0; attempt < 100; attempt++ {
		base := localnetPortLow + localnetStride*rand.IntN((localnetPortHigh-localnetPortLow-count)/localnetStride)
		var ls []net.Listener
		ok := true
		for p := base; p < base+count; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatalf("no %d free consecutive ports in %d-%d", count, localnetPortLow, localnetPortHigh)
	return 0
}

// runBin runs the aitbcd binary with args (no --home added) and returns its
// stdout; a failure fails the test with the output.
func runBin(t *testing.T, env []string, args ...string) string {
	t.Helper()
	out, err := runBinErr(env, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runBinErr runs the aitbcd binary with args and env added to this
// process's environment, and returns its stdout.
func runBinErr(env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, aitbcdBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("aitbcd %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// startNode starts node i: `aitbcd start --home <its home>`.
func (ln *localnet) startNode(i int) {
	ln.t.Helper()
	n := ln.nodes[i]
	n.start(ln.env, "start", "--home", n.home)
}

// startAll starts every node that is not running.
func (ln *localnet) startAll() {
	ln.t.Helper()
	for i, n := range ln.nodes {
		if n.proc == nil {
			ln.startNode(i)
		}
	}
}

// killNode kills node i with SIGKILL (kill -9) and waits for it to exit.
func (ln *localnet) killNode(i int) {
	ln.t.Helper()
	_ = ln.nodes[i].stop(syscall.SIGKILL)
}

// stopNode stops node i with SIGTERM; it fails the test unless the node exits
// cleanly in time.
func (ln *localnet) stopNode(i int) {
	ln.t.Helper()
	if err := ln.nodes[i].stop(syscall.SIGTERM); err != nil {
		ln.t.Fatalf("node%d: SIGTERM: %v\n%s", i, err, ln.nodes[i].logTail())
	}
}

// running reports whether the test has node i's process running.
func (ln *localnet) running(i int) bool { return ln.nodes[i].proc != nil }

// maxHeight is the highest height any running node reports (0 if none answers).
func (ln *localnet) maxHeight() int64 {
	var top int64
	for i, n := range ln.nodes {
		if !ln.running(i) {
			continue
		}
		if h, err := n.height(); err == nil && h > top {
			top = h
		}
	}
	return top
}

// nodeReport is what watchHeights learns about one node: a height (from a
// NewBlock event or a /status read), a /status read's error, or its exit.
type nodeReport struct {
	i      int
	height int64
	err    error // the /status read failed (or, with exited, how the process ended)
	exited bool
}

// watchHeights follows every running node's height until stop is called.
// For each it subscribes to CometBFT's NewBlock events, then reads /status
// once (so no block falls between) and reports the height of every event.
// While a node does not answer it retries both every 200ms; once it does,
// /status is still read every 2s, since the stream drops events when its
// buffer is full and misses blocks while it reconnects (a restart under
// cosmovisor). A node's exit is reported too.
func (ln *localnet) watchHeights() (<-chan nodeReport, func()) {
	reports, quit := make(chan nodeReport), make(chan struct{})
	for i, n := range ln.nodes {
		if ln.running(i) {
			// n.done is read here: startNode replaces it, after this watch.
			go watchNode(i, n, n.done, reports, quit)
		}
	}
	return reports, func() { close(quit) }
}

func watchNode(i int, n *node, done chan error, reports chan<- nodeReport, quit <-chan struct{}) {
	report := func(r nodeReport) bool {
		select {
		case reports <- r:
			return true
		case <-quit:
			return false
		}
	}
	var blocks <-chan ctypes.ResultEvent
	stopSub := func() {}
	defer func() { stopSub() }()
	read := time.NewTimer(0)
	defer read.Stop()
	for {
		select {
		case <-quit:
			return
		case err := <-done:
			done <- err // for n.stop, which reads it too
			report(nodeReport{i: i, err: err, exited: true})
			return
		case ev := <-blocks:
			if nb, ok := ev.Data.(cmttypes.EventDataNewBlock); ok && nb.Block != nil {
				if !report(nodeReport{i: i, height: nb.Block.Height}) {
					return
				}
			}
		case <-read.C:
			if blocks == nil {
				blocks, stopSub = n.subscribeNewBlocks()
			}
			got, err := n.height()
			if !report(nodeReport{i: i, height: got, err: err}) {
				return
			}
			if err != nil || blocks == nil {
				read.Reset(200 * time.Millisecond)
			} else {
				read.Reset(2 * time.Second)
			}
		}
	}
}

// waitAllHeight waits until every running node has committed height h and
// returns the lowest height among them then, as /status reports it. It
// follows the nodes' NewBlock events (watchHeights) and, once they all
// passed h, confirms on /status (which moves on when the block is stored,
// just before the app commits it and the event goes out). A node that
// exits fails the test.
func (ln *localnet) waitAllHeight(h int64, within time.Duration) int64 {
	ln.t.Helper()
	reports, stop := ln.watchHeights()
	defer stop()
	timeout := time.NewTimer(within)
	defer timeout.Stop()
	// The highest height each running node reported, and its last read error.
	top, lastErr := map[int]int64{}, map[int]error{}
	for i := range ln.nodes {
		if ln.running(i) {
			top[i] = -1
		}
	}
	var recheck <-chan time.Time
	for {
		if allAt(top, h) {
			lowest, behind, err := ln.confirmHeight(h)
			if behind < 0 {
				return lowest
			}
			lastErr[behind] = err
			recheck = time.After(100 * time.Millisecond)
		}
		select {
		case r := <-reports:
			switch {
			case r.exited:
				ln.t.Fatalf("node%d exited while waiting for height %d: %v\n%s", r.i, h, r.err, ln.nodes[r.i].logTail())
			case r.err != nil:
				lastErr[r.i] = r.err
			default:
				top[r.i] = max(top[r.i], r.height)
				lastErr[r.i] = nil
			}
		case <-recheck:
		case <-timeout.C:
			behind := -1
			for i := range ln.nodes {
				if got, ok := top[i]; ok && (got < h || lastErr[i] != nil) {
					behind = i
					break
				}
			}
			if behind < 0 { // every event said h: ask /status once more
				lowest, notYet, err := ln.confirmHeight(h)
				if notYet < 0 {
					return lowest
				}
				behind, lastErr[notYet] = notYet, err
			}
			err := lastErr[behind]
			if err == nil {
				err = fmt.Errorf("at height %d", top[behind])
			}
			ln.t.Fatalf("not every running node reached height %d within %s: node%d %v\n%s",
				h, within, behind, err, ln.nodes[behind].logTail())
		}
	}
}

// allAt reports whether every node in top has reported height h or above.
func allAt(top map[int]int64, h int64) bool {
	for _, got := range top {
		if got < h {
			return false
		}
	}
	return true
}

// confirmHeight reads every running node's /status: the lowest height if
// all are at h or above, else the first node behind (-1 if none) and why.
func (ln *localnet) confirmHeight(h int64) (lowest int64, behind int, err error) {
	lowest = -1
	for i, n := range ln.nodes {
		if !ln.running(i) {
			continue
		}
		got, err := n.height()
		if err == nil && got < h {
			err = fmt.Errorf("at height %d", got)
		}
		if err != nil {
			return 0, i, err
		}
		if lowest < 0 || got < lowest {
			lowest = got
		}
	}
	return lowest, -1, nil
}

// waitForStall waits until no running node has had a new block for quiet
// and returns the height then (the highest /status reports); it fails the
// test if blocks keep coming for within. New blocks are the nodes' NewBlock
// events (watchHeights); the end of a quiet spell is confirmed on /status.
func (ln *localnet) waitForStall(quiet, within time.Duration) int64 {
	ln.t.Helper()
	reports, stop := ln.watchHeights()
	defer stop()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	last := ln.maxHeight()
	top := map[int]int64{}
	calm := time.NewTimer(quiet)
	defer calm.Stop()
	for {
		select {
		case r := <-reports:
			// A node gone or not answering makes no block; only a height
			// above what the node reported before is one.
			if r.exited || r.err != nil || r.height <= top[r.i] {
				continue
			}
			top[r.i] = r.height
			last = max(last, r.height)
			calm.Reset(quiet)
		case <-calm.C:
			h := ln.maxHeight()
			if h == last {
				return h
			}
			last = h // a block the events missed (or a node stopped answering): wait again
			calm.Reset(quiet)
		case <-deadline.C:
			ln.t.Fatalf("blocks kept coming for %s (height %d)", within, last)
		}
	}
}

// blockMeta is one block as CometBFT RPC /blockchain describes it.
type blockMeta struct {
	Height  int64
	Hash    string
	AppHash string
	Time    time.Time
}

// blockMetas returns blocks from..to (inclusive, ascending) from CometBFT RPC /blockchain.
func (n *node) blockMetas(from, to int64) []blockMeta {
	n.t.Helper()
	metas := make([]blockMeta, 0, to-from+1)
	for lo := from; lo <= to; lo += 20 { // /blockchain returns at most 20 blocks
		hi := min(lo+19, to)
		got := n.blockchain(lo, hi)
		if len(got) != int(hi-lo+1) {
			n.t.Fatalf("/blockchain %d-%d returned %d blocks", lo, hi, len(got))
		}
		for i := len(got) - 1; i >= 0; i-- { // newest first
			m := got[i]
			metas = append(metas, blockMeta{Height: m.Header.Height, Hash: m.BlockID.Hash.String(),
				AppHash: m.Header.AppHash.String(), Time: m.Header.Time})
		}
	}
	for i, m := range metas {
		if m.Height != from+int64(i) {
			n.t.Fatalf("/blockchain: block %d where %d was expected", m.Height, from+int64(i))
		}
	}
	return metas
}

// checkNoFork fails the test unless every node has the same block hash and
// the same app hash at every height 1..upTo (read from each node's CometBFT
// RPC /blockchain, so every node must be running and have reached upTo).
func (ln *localnet) checkNoFork(upTo int64) {
	ln.t.Helper()
	ref := ln.nodes[0].blockMetas(1, upTo)
	for i, n := range ln.nodes[1:] {
		got := n.blockMetas(1, upTo)
		for k := range ref {
			if got[k].Hash != ref[k].Hash || got[k].AppHash != ref[k].AppHash {
				ln.t.Fatalf("fork at height %d: node0 block %s app %s, node%d block %s app %s",
					ref[k].Height, ref[k].Hash, ref[k].AppHash, i+1, got[k].Hash, got[k].AppHash)
			}
		}
	}
}

// largestBlockGap returns the longest time between consecutive block headers
// in metas, and the height of the block that ended it, leaving out the gap
// that ends at any height in skip.
func largestBlockGap(metas []blockMeta, skip ...int64) (time.Duration, int64) {
	var gap time.Duration
	var at int64
outer:
	for k := 1; k < len(metas); k++ {
		for _, s := range skip {
			if metas[k].Height == s {
				continue outer
			}
		}
		if d := metas[k].Time.Sub(metas[k-1].Time); d > gap {
			gap, at = d, metas[k].Height
		}
	}
	return gap, at
}

// consensusAddress is node i's validator (consensus) address, hex, from /status.
func (ln *localnet) consensusAddress(i int) string {
	ln.t.Helper()
	st, err := ln.nodes[i].status()
	if err != nil {
		ln.t.Fatal(err)
	}
	return strings.ToUpper(st.ValidatorInfo.Address.String())
}

// validatorSet returns CometBFT's validator set at the latest height as seen
// by node i: hex consensus address → voting power.
func (ln *localnet) validatorSet(i int) map[string]int64 {
	ln.t.Helper()
	return ln.nodes[i].validators()
}

// waitForPeers waits until node i has at least want peers (CometBFT RPC /net_info).
func (ln *localnet) waitForPeers(i, want int, within time.Duration) {
	ln.t.Helper()
	deadline := time.Now().Add(within)
	var got int
	for time.Now().Before(deadline) {
		if n, err := ln.nodes[i].peers(); err == nil {
			if got = n; got >= want {
				return
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	ln.t.Fatalf("node%d has %d peers after %s, want %d", i, got, within, want)
}

// consensusPubKey is node i's consensus public key as `aitbcd comet
// show-validator` prints it ({"@type":"/cosmos.crypto.ed25519.PubKey","key":…}),
// the form create-validator and validator-governance messages take.
func (ln *localnet) consensusPubKey(i int) string {
	ln.t.Helper()
	return strings.TrimSpace(ln.nodes[i].mustCLI("comet", "show-validator"))
}

// waitForValidator waits until node i is in (want true) or out of (false)
// CometBFT's validator set as node `via` sees it, and returns its voting power.
func (ln *localnet) waitForValidator(i, via int, want bool, within time.Duration) int64 {
	ln.t.Helper()
	addr := ln.consensusAddressFromKey(i)
	deadline := time.Now().Add(within)
	for {
		power, in := ln.validatorSet(via)[addr]
		if in == want {
			return power
		}
		if time.Now().After(deadline) {
			ln.t.Fatalf("node%d in the validator set: %v after %s, want %v", i, in, within, want)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// consensusAddressFromKey is node i's consensus address (hex) read from its
// priv_validator_key.json (its remote signer's, if it has one), so it works
// while the node is stopped.
func (ln *localnet) consensusAddressFromKey(i int) string {
	ln.t.Helper()
	keyFile := filepath.Join(ln.nodes[i].home, "config", "priv_validator_key.json")
	if i < len(ln.net.Nodes) {
		keyFile = ln.net.ConsensusKeyFile(i)
	}
	raw, err := os.ReadFile(keyFile)
	if err != nil {
		ln.t.Fatal(err)
	}
	var key struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(raw, &key); err != nil {
		ln.t.Fatal(err)
	}
	return strings.ToUpper(key.Address)
}

// signedBlocks returns the heights in from..to whose commit (CometBFT RPC
// /commit, read from node `via`) carries node i's precommit signature.
func (ln *localnet) signedBlocks(i, via int, from, to int64) []int64 {
	ln.t.Helper()
	addr := ln.consensusAddressFromKey(i)
	var heights []int64
	for h := from; h <= to; h++ {
		for _, signer := range ln.nodes[via].commitSigners(h) {
			if strings.EqualFold(signer, addr) {
				heights = append(heights, h)
				break
			}
		}
	}
	return heights
}
