package system

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aitbc/chain/indexer"
	lnet "github.com/aitbc/chain/networks/localnet"
	"github.com/aitbc/chain/networks/localnet/tomledit"
	computetypes "github.com/aitbc/chain/x/compute/types"
)

// addNode runs `aitbcd localnet add-node --no-start` (with extra flags) and
// adds the new node to the harness's view of the network.
func (ln *localnet) addNode(flags ...string) int {
	ln.t.Helper()
	out := runBin(ln.t, nil, append([]string{"localnet", "add-node", "--no-start", "--home", ln.dir}, flags...)...)
	grown := loadLocalnet(ln.t, ln.dir, ln.env)
	if len(grown.nodes) != len(ln.nodes)+1 {
		ln.t.Fatalf("add-node: the manifest has %d nodes, had %d\n%s", len(grown.nodes), len(ln.nodes), out)
	}
	ln.net = grown.net
	ln.nodes = append(ln.nodes, grown.nodes[len(ln.nodes)])
	return len(ln.nodes) - 1
}

// joinTime starts node i and returns how long it took to reach height h.
func (ln *localnet) joinTime(i int, h int64, within time.Duration) time.Duration {
	ln.t.Helper()
	started := time.Now()
	ln.startNode(i)
	ln.nodes[i].waitForHeight(h, within)
	return time.Since(started)
}

// TestLocalnetJoinsByStateSync: a 4-validator localnet, node0 pruned, grows real state
// (transfers, a provider, jobs settled, expired, cancelled, assigned and
// open) past node0's second snapshot. `localnet add-node --state-sync` adds
// a full node that takes its trusted header from a live node's RPC,
// restores the snapshot (its block store starts above height 1) and follows
// by block sync: its blocks and app hashes equal node1's at every height it
// has, it answers bank, compute and facade queries as node0 does, and it
// goes on after a kill -9. node0 has pruned its early blocks and state
// meanwhile, yet served the snapshot, answers 404 "pruned" below its first
// block, and the SQL index it writes holds every height. A second node added without --state-sync replays
// from genesis, for the join-time comparison the test logs.
func TestLocalnetJoinsByStateSync(t *testing.T) {
	t.Parallel() // its own network; runs beside the others
	ln := createLocalnet(t, localnetOptions{Validators: 4, Env: []string{"BLOCK_TIME=500ms"}})
	for _, n := range ln.nodes {
		n.modifyGenesis(
			withComputeParams(func(p *computetypes.Params) { p.DisputeWindowBlocks = 3 }),
			// CometBFT keeps blocks evidence may still need: 30 instead of 100,000.
			withEvidenceMaxAgeBlocks(30),
		)
	}
	// node0, the snapshot server and the localnet's indexer, prunes: state
	// older than 20 versions, and blocks below the height its retention
	// allows (min-retain-blocks 20; the SDK keeps what its 2 snapshots and
	// evidence need, so about 40 below the head).
	appToml := filepath.Join(ln.nodes[0].home, "config", "app.toml")
	if err := tomledit.SetValues(appToml, "", map[string]string{"pruning": "custom", "pruning-keep-recent": "20", "pruning-interval": "10"}); err != nil {
		t.Fatal(err)
	}
	if err := tomledit.SetLiterals(appToml, "", map[string]string{"min-retain-blocks": "20"}); err != nil {
		t.Fatal(err)
	}
	ln.startAll()
	ln.waitAllHeight(2, 2*time.Minute)

	n0 := ln.nodes[0]
	alice, bob := n0.keyAddress("alice"), n0.keyAddress("bob")
	ln.mustPoaTx(0, "alice", "bank", "send", alice, bob, "31337"+denom)
	workerKey := n0.addWorkerKey()
	ln.mustPoaTx(0, "bob", "compute", "register-provider", workerKey, "1000", "200000000", "llama-3-8b",
		"--endpoint", "https://gpu.example/v1")
	submit := func(prompt, deadline string) {
		ln.mustPoaTx(0, "alice", "compute", "submit-job", "inference", "llama-3-8b", sha256Hex(prompt), "100", "1500", deadline)
	}
	submit("settled", "200") // 1: delivered, settles
	ln.mustPoaTx(0, "bob", "compute", "accept-job", "1")
	output := sha256Hex("completion")
	ln.mustPoaTx(0, "bob", "compute", "submit-receipt", "1", output, "60", n0.signReceipt("1", output))
	submit("expired", "3") // 2: accepted, never delivered
	ln.mustPoaTx(0, "bob", "compute", "accept-job", "2")
	submit("cancelled", "200") // 3
	ln.mustPoaTx(0, "alice", "compute", "cancel-job", "3")
	submit("assigned", "500") // 4
	ln.mustPoaTx(0, "bob", "compute", "accept-job", "4")
	submit("open", "500") // 5
	n0.waitForJobState(1, "JOB_STATE_SETTLED", time.Minute)
	n0.waitForJobState(2, "JOB_STATE_EXPIRED", time.Minute)

	// Past node0's second snapshot, so the trusted header (two intervals
	// below the head) is below a snapshot.
	head := ln.waitAllHeight(2*lnet.SnapshotInterval+5, 3*time.Minute)
	synced := ln.addNode("--state-sync")
	stateSyncTime := ln.joinTime(synced, head, 3*time.Minute)
	s := ln.nodes[synced]
	st, err := s.status()
	if err != nil {
		t.Fatal(err)
	}
	base := st.SyncInfo.EarliestBlockHeight
	if base <= 1 {
		t.Fatalf("the state-synced node has blocks from %d: it replayed from genesis\n%s", base, s.logTail())
	}
	if !strings.Contains(s.logSince(0), "Snapshot restored") {
		t.Fatalf("no \"Snapshot restored\" in the state-synced node's log:\n%s", s.logTail())
	}
	t.Logf("state sync: restored height %d, at head %d %.1fs after start", base-1, head, stateSyncTime.Seconds())

	top := ln.waitAllHeight(ln.maxHeight()+3, 2*time.Minute)
	sameBlocks := func(n *node, from, to int64) {
		t.Helper()
		// node1 keeps every block; node0 prunes.
		ref, got := ln.nodes[1].blockMetas(from, to), n.blockMetas(from, to)
		for k := range ref {
			if got[k].Hash != ref[k].Hash || got[k].AppHash != ref[k].AppHash {
				t.Fatalf("height %d: node1 block %s app %s, joined node block %s app %s",
					ref[k].Height, ref[k].Hash, ref[k].AppHash, got[k].Hash, got[k].AppHash)
			}
		}
	}
	sameBlocks(s, base, top)

	// It answers what node0 answers.
	for _, addr := range []string{alice, bob} {
		if a, b := n0.balanceCLI(addr), s.balanceCLI(addr); !a.Equal(b) {
			t.Fatalf("balance of %s: node0 %s, state-synced node %s", addr, a, b)
		}
	}
	for id := 1; id <= 5; id++ {
		if a, b := n0.job(id).State, s.job(id).State; a != b {
			t.Fatalf("job %d: node0 %s, state-synced node %s", id, a, b)
		}
	}
	wantJobs := "map[JOB_STATE_ASSIGNED:1 JOB_STATE_CANCELLED:1 JOB_STATE_EXPIRED:1 JOB_STATE_OPEN:1 JOB_STATE_SETTLED:1]"
	if jobs, providers := s.computeCounts(); fmt.Sprint(jobs) != wantJobs || providers != 1 {
		t.Fatalf("state-synced node's compute counts: %v, %d providers; want %s and 1", jobs, providers, wantJobs)
	}
	var facadeHead struct {
		Height int64 `json:"height"`
	}
	getJSON(t, s.facadeURL()+"/rpc/get_head", &facadeHead)
	if facadeHead.Height < top {
		t.Fatalf("the state-synced node's facade head %d, chain at %d", facadeHead.Height, top)
	}

	// Below its first block the facade says the node does not have it.
	status, body := call(t, "GET", s.facadeURL()+"/rpc/get_block/1", nil)
	wantError(t, status, body, 404, "pruned")

	// kill -9, restart: it goes on from its own store.
	ln.killNode(synced)
	ln.startNode(synced)
	after := ln.waitAllHeight(ln.maxHeight()+3, 2*time.Minute)
	sameBlocks(s, base, after)

	// The pruned node: no early blocks, 404 pruned from its facade, and the
	// SQL index it writes still has every height (checked against node1's blocks).
	pruned, err := n0.status()
	if err != nil {
		t.Fatal(err)
	}
	if pruned.SyncInfo.EarliestBlockHeight <= 1 {
		t.Fatalf("node0 keeps blocks from %d with min-retain-blocks 20 at height %d", pruned.SyncInfo.EarliestBlockHeight, after)
	}
	status, body = call(t, "GET", n0.facadeURL()+"/rpc/get_block/1", nil)
	wantError(t, status, body, 404, "pruned")
	index := openIndex(t, indexer.Target{Dialect: indexer.SQLite, Path: filepath.Join(n0.home, "data", indexer.DefaultSQLiteFile)})
	n0.waitForIndex(index, after, time.Minute)
	ln.nodes[1].checkIndex(index, after, nil)
	t.Logf("node0 pruned blocks below %d at height %d; its SQL index holds heights 1-%d", pruned.SyncInfo.EarliestBlockHeight, after, after)

	// The comparison: a node that replays every block from genesis.
	replayed := ln.addNode()
	blockSyncTime := ln.joinTime(replayed, after, 5*time.Minute)
	if st, err := ln.nodes[replayed].status(); err != nil || st.SyncInfo.EarliestBlockHeight != 1 {
		t.Fatalf("the node added without --state-sync starts its blocks at %v (%v), want 1", st, err)
	}
	t.Logf("join figures at height %d: state sync %.1fs (to height %d), block sync from genesis %.1fs (to height %d)",
		after, stateSyncTime.Seconds(), head, blockSyncTime.Seconds(), after)
	for i := range ln.nodes {
		_ = ln.nodes[i].stop(syscall.SIGTERM)
	}
}
