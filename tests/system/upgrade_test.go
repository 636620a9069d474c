package system

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aitbc/chain/indexer"
	computetypes "github.com/aitbc/chain/x/compute/types"
)

// preV2CommitFile names the commit of the release the v2 upgrade test starts
// from: a binary from before upgrade v2 (and before the app's keepers and
// module orders were split out of app.go), built from git history.
const preV2CommitFile = "testdata/pre-v2.commit"

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

// upgradeNeeded matches x/upgrade's halt message for plan v2.
var upgradeNeeded = regexp.MustCompile(`UPGRADE "v2" NEEDED at height: (\d+)`)

// TestOldReleaseUpgradesToV2ByGovernance: a chain made by the release before
// v2 (transfers, a provider, a settled job, a job expired with the provider
// slashed, a job accepted and not yet delivered) schedules upgrade v2 by an
// expedited governance proposal. The old binary halts at the plan's height
// with x/upgrade's "UPGRADE NEEDED" and writes upgrade-info.json; today's
// binary takes over at that height, runs x/compute's 1→2 migration and goes
// on:
//   - balances and jobs are as the old binary left them;
//   - `query upgrade module-versions` has compute at 2, and the counters
//     the migration started answer `query compute counts` with the jobs
//     the old binary made;
//   - the job accepted before the upgrade is delivered and settles after it;
//   - the facade and the node's SQL index hold the transfers from both
//     sides of the upgrade.
//
// Then a node syncing from genesis replays the chain as cosmovisor would
// run it: with data/application.db deleted the old binary replays up to the
// plan and halts there, and today's binary replays the rest. CometBFT's
// handshake checks every app hash on the way (consensus/replay.go: each
// block's header AppHash against what the app returned for the one before,
// and the last against its saved state), so both binaries must compute the
// hashes the chain recorded.
func TestOldReleaseUpgradesToV2ByGovernance(t *testing.T) {
	oldBin := oldBinary(t, preV2CommitFile)
	newBin := aitbcdBin
	// The package's helpers run aitbcdBin, and no test here runs in parallel
	// with this one: the first part runs them on the old binary.
	aitbcdBin = oldBin
	defer func() { aitbcdBin = newBin }()

	n := initChain(t)
	n.modifyGenesis(
		withGovVotingPeriods(20*time.Second, 6*time.Second),
		withComputeParams(func(p *computetypes.Params) { p.DisputeWindowBlocks = 3 }),
	)
	env := []string{"DATABASE_URL="} // the default SQLite index in data/
	startArgs := append([]string{"start", "--home", n.home}, n.startArgs()...)
	n.start(env, startArgs...)
	n.waitForHeight(2, 90*time.Second)

	alice, bob := n.keyAddress("alice"), n.keyAddress("bob")
	sent := []sentTx{n.sendAndWait("alice", alice, bob, "before-v2")}
	workerKey := n.addWorkerKey()
	n.tx("bob", "compute", "register-provider", workerKey, "1000", "200000000", "llama-3-8b",
		"--endpoint", "https://gpu.example/v1")
	n.tx("alice", "compute", "submit-job", "inference", "llama-3-8b", sha256Hex("prompt"), "100", "1500", "50")
	n.tx("bob", "compute", "accept-job", "1")
	receipt := func(id string) {
		output := sha256Hex("completion-" + id)
		n.tx("bob", "compute", "submit-receipt", id, output, "60", n.signReceipt(id, output))
	}
	receipt("1")
	// Accepted and never delivered: the end-blocker expires it, refunds and slashes.
	n.tx("alice", "compute", "submit-job", "inference", "llama-3-8b", sha256Hex("prompt-2"), "10", "1000", "3")
	n.tx("bob", "compute", "accept-job", "2")
	// Accepted before the upgrade, delivered after it.
	n.tx("alice", "compute", "submit-job", "inference", "llama-3-8b", sha256Hex("prompt-3"), "100", "1500", "400")
	n.tx("bob", "compute", "accept-job", "3")
	n.waitForJobState(1, "JOB_STATE_SETTLED", 60*time.Second)
	n.waitForJobState(2, "JOB_STATE_EXPIRED", 60*time.Second)

	type snapshot struct{ alice, bob, job1, job2, job3 string }
	read := func() snapshot {
		return snapshot{n.balanceCLI(alice).String(), n.balanceCLI(bob).String(), n.job(1).State, n.job(2).State, n.job(3).State}
	}
	oldState := read()

	// Governance schedules v2: an expedited proposal, the validator votes yes.
	now, err := n.height()
	if err != nil {
		t.Fatal(err)
	}
	planHeight := now + 20
	proposal := upgradeV2Proposal(t, planHeight)
	proposed := n.tx("validator", "gov", "submit-proposal", proposal)
	n.tx("validator", "gov", "vote", "1", "yes")
	t.Logf("timeline: proposal in block %d, plan height %d", proposed.Height, planHeight)

	// The old binary halts at the plan height and says why.
	logStart := int64(0)
	halted := waitForLog(t, n, logStart, upgradeNeeded, 3*time.Minute)
	if halted[1] != itoa(planHeight) {
		t.Fatalf("old binary halted at height %s, the plan says %d", halted[1], planHeight)
	}
	haltedAt := time.Now()
	if _, err := os.Stat(filepath.Join(n.home, "data", "upgrade-info.json")); err != nil {
		t.Fatalf("the halted node wrote no upgrade-info.json: %v", err)
	}
	_ = n.stop(syscall.SIGTERM) // it may already have exited on the halt
	if got := lastHeight(t, n); got != planHeight-1 {
		t.Fatalf("old binary committed up to %d, want %d (the block before the plan)", got, planHeight-1)
	}
	aitbcdBin = newBin

	// Today's binary takes over at the plan height.
	logStart = logSize(t, n)
	n.start(env, startArgs...)
	n.waitForHeight(planHeight+1, 2*time.Minute)
	t.Logf("timeline: new binary's first block %d, %.1fs after the halt", planHeight, time.Since(haltedAt).Seconds())
	if !strings.Contains(n.logSince(logStart), `upgrade applied`) {
		t.Fatalf("the new binary's log does not show upgrade v2's handler:\n%s", n.logTail())
	}
	if got := read(); got != oldState {
		t.Fatalf("state read after the upgrade %+v, the old binary wrote %+v", got, oldState)
	}
	if v := n.moduleVersion("compute"); v != "2" {
		t.Fatalf("x/compute module version after the upgrade: %q, want 2", v)
	}
	wantCounts := func(want map[string]uint64, providers uint64) {
		t.Helper()
		got, gotProviders := n.computeCounts()
		if fmt.Sprint(got) != fmt.Sprint(want) || gotProviders != providers {
			t.Fatalf("query compute counts: jobs %v providers %d, want %v and %d", got, gotProviders, want, providers)
		}
	}
	wantCounts(map[string]uint64{"JOB_STATE_SETTLED": 1, "JOB_STATE_EXPIRED": 1, "JOB_STATE_ASSIGNED": 1}, 1)

	// The job accepted under the old binary is delivered and settles under the new one.
	receipt("3")
	n.waitForJobState(3, "JOB_STATE_SETTLED", 60*time.Second)
	wantCounts(map[string]uint64{"JOB_STATE_SETTLED": 2, "JOB_STATE_EXPIRED": 1}, 1)
	sent = append(sent, n.sendAndWait("bob", bob, alice, "after-v2"))
	tip := n.waitForHeight(planHeight+3, 60*time.Second)

	// The index the old binary started holds both transfers, and the facade serves them.
	s := openIndex(t, indexer.Target{Dialect: indexer.SQLite, Path: filepath.Join(n.home, "data", indexer.DefaultSQLiteFile)})
	n.waitForIndex(s, tip, 60*time.Second)
	n.checkIndex(s, tip, sent)
	checkFacadeHistory(t, n, bob, sent)
	var head struct {
		Height int64 `json:"height"`
	}
	getJSON(t, n.facadeURL()+"/rpc/get_head", &head)
	if head.Height <= planHeight {
		t.Fatalf("facade head %d after the upgrade at %d", head.Height, planHeight)
	}

	upgradedState := read()
	if err := n.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("stopping the upgraded node: %v\n%s", err, n.logTail())
	}
	lastCommitted := lastHeight(t, n)

	// Replay from genesis: only the application state goes; the block store,
	// CometBFT's state and the genesis stay.
	appDB := filepath.Join(n.home, "data", "application.db")
	if _, err := os.Stat(appDB); err != nil {
		t.Fatalf("the node's application state is not where the test deletes it: %v", err)
	}
	if err := os.RemoveAll(appDB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if m := appHashMismatch.FindString(n.logSince(0)); t.Failed() && m != "" {
			t.Logf("a replay computed a different app hash than the chain recorded: %s", m)
		}
	})
	aitbcdBin = oldBin
	logStart = logSize(t, n)
	n.start(env, startArgs...)
	waitForLog(t, n, logStart, upgradeNeeded, 5*time.Minute)
	if !replayedFromGenesis.MatchString(n.logSince(logStart)) {
		t.Fatalf("the old binary did not replay from genesis (no \"ABCI Replay Blocks … appHeight=0\" in its log):\n%s", n.logTail())
	}
	_ = n.stop(syscall.SIGTERM)
	aitbcdBin = newBin
	logStart = logSize(t, n)
	n.start(env, startArgs...)
	n.waitForHeight(lastCommitted+2, 5*time.Minute)
	if m := appHashMismatch.FindString(n.logSince(logStart)); m != "" {
		t.Fatal(m)
	}
	if got := read(); got != upgradedState {
		t.Fatalf("state after the replay %+v, before it %+v", got, upgradedState)
	}
	t.Logf("replayed %d blocks: 1-%d by the old binary, %d-%d by the new one", lastCommitted, planHeight-1, planHeight, lastCommitted)
}

// moduleVersion is module's consensus version as `query upgrade module-versions` gives it.
func (n *node) moduleVersion(module string) string {
	n.t.Helper()
	var versions struct {
		ModuleVersions []struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"module_versions"`
	}
	if err := json.Unmarshal([]byte(n.mustCLI("query", "upgrade", "module-versions", module, "--output", "json")), &versions); err != nil {
		n.t.Fatal(err)
	}
	if len(versions.ModuleVersions) != 1 {
		n.t.Fatalf("module-versions %s: %+v", module, versions.ModuleVersions)
	}
	return versions.ModuleVersions[0].Version
}

// computeCounts is `query compute counts`: the non-zero job counts by state
// name, and the number of providers.
func (n *node) computeCounts() (map[string]uint64, uint64) {
	n.t.Helper()
	var counts struct {
		JobsByState []struct {
			State string `json:"state"`
			Count string `json:"count"`
		} `json:"jobs_by_state"`
		Providers string `json:"providers"`
	}
	if err := json.Unmarshal([]byte(n.mustCLI("query", "compute", "counts", "--output", "json")), &counts); err != nil {
		n.t.Fatal(err)
	}
	jobs := map[string]uint64{}
	for _, c := range counts.JobsByState {
		if c.Count != "" && c.Count != "0" {
			v, err := strconv.ParseUint(c.Count, 10, 64)
			if err != nil {
				n.t.Fatalf("count %q of %s: %v", c.Count, c.State, err)
			}
			jobs[c.State] = v
		}
	}
	var providers uint64
	if counts.Providers != "" {
		var err error
		if providers, err = strconv.ParseUint(counts.Providers, 10, 64); err != nil {
			n.t.Fatalf("providers %q: %v", counts.Providers, err)
		}
	}
	return jobs, providers
}

// upgradeV2Proposal writes an expedited governance proposal that schedules
// plan v2 at planHeight, and returns its path for `tx gov submit-proposal`.
func upgradeV2Proposal(t *testing.T, planHeight int64) string {
	t.Helper()
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	path := filepath.Join(t.TempDir(), "upgrade-v2.json")
	body := fmt.Sprintf(`{"messages":[{"@type":"/cosmos.upgrade.v1beta1.MsgSoftwareUpgrade","authority":%q,`+
		`"plan":{"name":"v2","height":"%d","info":"x/compute consensus version 2"}}],`+
		`"deposit":"50000000%s","title":"Upgrade v2","summary":"x/compute job counters.","expedited":true}`, gov, planHeight, denom)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// addWorkerKey adds key "worker" (a provider's signing key) to the node's
// keyring and returns its public key as register-provider takes it.
func (n *node) addWorkerKey() string {
	n.t.Helper()
	n.mustCLI("keys", "add", "worker", "--keyring-backend", "test")
	return strings.TrimSpace(n.mustCLI("keys", "show", "worker", "--pubkey", "--keyring-backend", "test"))
}

// signReceipt signs job id's receipt for output (60 units at 1000) with the worker key.
func (n *node) signReceipt(id, output string) string {
	n.t.Helper()
	return strings.TrimSpace(n.mustCLI("tx", "compute", "sign-receipt", id, output, "60", "1000",
		"--from", "worker", "--chain-id", n.chainID, "--keyring-backend", "test"))
}

// waitForLog waits until the node's log from offset on matches re, and
// returns the match and its groups.
func waitForLog(t *testing.T, n *node, offset int64, re *regexp.Regexp, within time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(n.logSince(offset)); m != nil {
			return m
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("no %q in the node's log within %s:\n%s", re, within, n.logTail())
	return nil
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
