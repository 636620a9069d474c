package system

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	lnet "github.com/aitbc/chain/networks/localnet"
	computetypes "github.com/aitbc/chain/x/compute/types"
)

// cosmovisorBinary builds the pinned cosmovisor (tools/cosmovisor) with
// scripts/tool.sh, once per machine, and returns its path.
func cosmovisorBinary(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	build := exec.CommandContext(ctx, filepath.Join(root, "scripts", "tool.sh"), "cosmovisor")
	build.Stdout, build.Stderr = &stdout, &stderr
	if err := build.Run(); err != nil {
		t.Fatalf("building cosmovisor: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// TestLocalnetUpgradesUnderCosmovisor: four validators and a full node of
// the release before v2, each under cosmovisor (DAEMON_HOME = its home,
// genesis/bin = the old binary). `aitbcd localnet prepare-upgrade v2` gives
// the validators today's binary as upgrades/v2/bin; the full node is left
// without it. An expedited MsgSoftwareUpgrade proposal passes by the
// validators' votes; at the plan height every node halts with x/upgrade's
// "UPGRADE NEEDED" and upgrade-info.json, cosmovisor swaps the validators to
// today's binary and blocks continue. Balances survive, a job accepted
// before the plan settles after it, x/compute is at consensus version 2
// with counters that match. The full node stays at the block before the
// plan; run with today's binary it catches up with no fork.
func TestLocalnetUpgradesUnderCosmovisor(t *testing.T) {
	cosmovisor := cosmovisorBinary(t)
	oldBin := oldBinary(t, preV2CommitFile)
	ln := createLocalnet(t, localnetOptions{Validators: 4, FullNodes: 1, VotingPeriod: 40 * time.Second})
	const full = 4
	for _, n := range ln.nodes {
		n.modifyGenesis(withComputeParams(func(p *computetypes.Params) { p.DisputeWindowBlocks = 3 }))
	}
	if err := ln.net.InstallGenesisBinary(oldBin); err != nil {
		t.Fatal(err)
	}
	out := runBin(t, nil, "localnet", "prepare-upgrade", "v2", aitbcdBin, "--home", ln.dir)
	if !strings.Contains(out, "installed for 5 nodes") {
		t.Fatalf("prepare-upgrade said %q", out)
	}
	// The full node's operator did not prepare.
	if err := os.RemoveAll(filepath.Dir(filepath.Dir(lnet.UpgradeBinary(ln.nodes[full].home, "v2")))); err != nil {
		t.Fatal(err)
	}
	for _, n := range ln.nodes {
		n.startProgram(cosmovisor, lnet.CosmovisorEnv(ln.env, n.home), "run", "start", "--home", n.home)
	}
	ln.waitAllHeight(3, 2*time.Minute)

	// Work under the old binary: a transfer and a job accepted, not delivered.
	n0 := ln.nodes[0]
	alice, bob := n0.keyAddress("alice"), n0.keyAddress("bob")
	ln.mustPoaTx(0, "alice", "bank", "send", alice, bob, "4242"+denom)
	workerKey := n0.addWorkerKey()
	ln.mustPoaTx(0, "bob", "compute", "register-provider", workerKey, "1000", "200000000", "llama-3-8b",
		"--endpoint", "https://gpu.example/v1")
	ln.mustPoaTx(0, "alice", "compute", "submit-job", "inference", "llama-3-8b", sha256Hex("prompt"), "100", "1500", "400")
	ln.mustPoaTx(0, "bob", "compute", "accept-job", "1")
	balances := func() string { return n0.balanceCLI(alice).String() + "/" + n0.balanceCLI(bob).String() }
	before := balances()

	// Governance: an expedited proposal, all four validators vote yes.
	planHeight := ln.maxHeight() + 40 // past the 20 s expedited vote, on a loaded machine too
	proposal := upgradeV2Proposal(t, planHeight)
	proposed := ln.mustPoaTx(0, "operator", "gov", "submit-proposal", proposal)
	for i := 0; i < 4; i++ {
		ln.mustPoaTx(i, "operator", "gov", "vote", "1", "yes")
	}
	t.Logf("timeline: proposal in block %d, plan height %d", proposed.Height, planHeight)

	// Every node halts at the plan height; the validators come back on today's binary.
	haltAt := time.Now()
	for i, n := range ln.nodes {
		m := waitForLog(t, n, 0, upgradeNeeded, 4*time.Minute)
		if m[1] != itoa(planHeight) {
			t.Fatalf("node%d halted at height %s, the plan says %d", i, m[1], planHeight)
		}
		if i == 0 {
			haltAt = time.Now()
		}
	}
	// The full node's cosmovisor has no binary to run: it exits, and the node stays put.
	select {
	case err := <-ln.nodes[full].done:
		t.Logf("the unprepared full node's cosmovisor exited: %v", err)
		ln.nodes[full].proc = nil
	case <-time.After(time.Minute):
		t.Fatalf("the full node's cosmovisor kept running without an upgrade binary:\n%s", ln.nodes[full].logTail())
	}
	ln.nodes[full].log.Close()
	if got := lastHeight(t, ln.nodes[full]); got != planHeight-1 {
		t.Fatalf("the unprepared full node committed up to %d, want %d", got, planHeight-1)
	}
	first := ln.waitAllHeight(planHeight, 3*time.Minute)
	t.Logf("timeline: all validators past the plan height %.1fs after node0 halted (lowest height %d)", time.Since(haltAt).Seconds(), first)

	if got := balances(); got != before {
		t.Fatalf("balances after the upgrade %s, before %s", got, before)
	}
	if v := n0.moduleVersion("compute"); v != "2" {
		t.Fatalf("x/compute module version after the upgrade: %q, want 2", v)
	}
	if jobs, providers := n0.computeCounts(); fmt.Sprint(jobs) != "map[JOB_STATE_ASSIGNED:1]" || providers != 1 {
		t.Fatalf("query compute counts after the upgrade: jobs %v, providers %d; want 1 assigned, 1 provider", jobs, providers)
	}
	for i := 0; i < 4; i++ {
		link, err := os.Readlink(filepath.Join(ln.nodes[i].home, lnet.CosmovisorDir, "current"))
		if err != nil || !strings.HasSuffix(link, filepath.Join("upgrades", "v2")) {
			t.Fatalf("node%d's cosmovisor current → %q (%v), want upgrades/v2", i, link, err)
		}
	}
	output := sha256Hex("completion")
	ln.mustPoaTx(0, "bob", "compute", "submit-receipt", "1", output, "60", n0.signReceipt("1", output))
	n0.waitForJobState(1, "JOB_STATE_SETTLED", time.Minute)
	var head struct {
		Height int64 `json:"height"`
	}
	getJSON(t, n0.facadeURL()+"/rpc/get_head", &head)
	if head.Height <= planHeight {
		t.Fatalf("facade head %d after the upgrade at %d", head.Height, planHeight)
	}

	// The full node, given today's binary, catches up on the same chain.
	ln.nodes[full].start(ln.env, "start", "--home", ln.nodes[full].home)
	top := ln.waitAllHeight(ln.maxHeight()+2, 3*time.Minute)
	ln.checkNoFork(top)
	for i := range ln.nodes {
		_ = ln.nodes[i].stop(syscall.SIGTERM)
	}
}
