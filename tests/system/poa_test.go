package system

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	_ "github.com/aitbc/chain/app" // ait address prefixes
	lnet "github.com/aitbc/chain/networks/localnet"
)

// poaTx sends an `aitbcd tx` from a key in node i's keyring and returns
// CheckTx's result, and, when it entered the mempool, its block result.
func (ln *localnet) poaTx(i int, from string, args ...string) (txResult, includedTx) {
	ln.t.Helper()
	res := ln.nodes[i].mustBroadcast(from, args...)
	if res.Code != 0 {
		return res, includedTx{}
	}
	return res, ln.nodes[i].waitForTx(res.TxHash, time.Minute)
}

// mustPoaTx is poaTx that fails the test unless the transaction succeeded in a block.
func (ln *localnet) mustPoaTx(i int, from string, args ...string) includedTx {
	ln.t.Helper()
	res, included := ln.poaTx(i, from, args...)
	if res.Code != 0 || included.Code != 0 {
		ln.t.Fatalf("tx %s: CheckTx code %d %s; block code %d %s", strings.Join(args[:3], " "), res.Code, res.RawLog, included.Code, included.Log)
	}
	return included
}

// setAdmin writes params.admin of x/poa into every node's genesis before the start.
func (ln *localnet) setGenesisPoaAdmin(admin string) {
	ln.t.Helper()
	for _, n := range ln.nodes {
		n.modifyGenesis(withPoaAdmin(admin))
	}
}

// checkBlockGaps fails the test if any two consecutive blocks from block 2
// (block 1→2 includes the nodes finding each other at start-up) up to the
// current height are more than maxBlockGap apart.
func (ln *localnet) checkBlockGaps() {
	ln.t.Helper()
	top := ln.waitAllHeight(ln.maxHeight(), time.Minute)
	gap, at := largestBlockGap(ln.nodes[0].blockMetas(2, top))
	ln.t.Logf("largest gap between blocks 2-%d: %s (before block %d)", top, gap, at)
	if gap > maxBlockGap {
		ln.t.Fatalf("blocks %d and %d are %s apart, more than %s", at-1, at, gap, maxBlockGap)
	}
}

// TestPoaAuthorityManagesValidators: in POA mode with 3
// genesis validators and a full node, the authority (here params.admin)
// adds the full node as a validator, which then signs blocks, and removes a
// genesis validator, which leaves the set; a stranger's attempt and a
// delegation are rejected with clear errors.
func TestPoaAuthorityManagesValidators(t *testing.T) {
	ln := createLocalnet(t, localnetOptions{Validators: 3, FullNodes: 1})
	admin := strings.TrimSpace(ln.nodes[0].mustCLI("keys", "show", "alice", "-a"))
	ln.setGenesisPoaAdmin(admin)
	ln.startAll()
	ln.waitAllHeight(2, 3*time.Minute)

	var params struct {
		Params struct {
			Mode  string `json:"mode"`
			Admin string `json:"admin"`
		} `json:"params"`
	}
	if err := json.Unmarshal([]byte(ln.nodes[0].mustCLI("query", "poa", "params", "--output", "json")), &params); err != nil {
		t.Fatal(err)
	}
	if params.Params.Mode != "MODE_POA" || params.Params.Admin != admin {
		t.Fatalf("x/poa params %+v, want POA with admin %s", params.Params, admin)
	}

	newPubKey, newOperator := ln.consensusPubKey(3), ln.operator(3)

	t.Run("a stranger cannot add a validator", func(t *testing.T) {
		_, included := ln.poaTx(0, "bob", "poa", "add-validator", newOperator, newPubKey, "100000", "node3", "--no-proposal")
		if included.Code == 0 || !strings.Contains(included.Log, "not the x/poa authority") {
			t.Fatalf("want an authority error, got code %d: %s", included.Code, included.Log)
		}
	})
	t.Run("nobody can delegate in POA mode", func(t *testing.T) {
		valoper := validatorOperator(t, ln.nodes[0], "operator")
		res, _ := ln.poaTx(0, "bob", "staking", "delegate", valoper, "1000000uait")
		if res.Code == 0 || !strings.Contains(res.RawLog, "POA mode") {
			t.Fatalf("want the delegation refused in POA mode, got code %d: %s", res.Code, res.RawLog)
		}
	})

	// The admin adds node3 with the power of each genesis validator (100,000):
	// 30% of the 300,000 total may change per block, so it takes two blocks.
	added := ln.mustPoaTx(0, "alice", "poa", "add-validator", newOperator, newPubKey, "100000", "node3", "--no-proposal")
	power := ln.waitForValidator(3, 0, true, time.Minute)
	t.Logf("node3 added at height %d, in CometBFT's set with power %d", added.Height, power)
	for power < 100000 {
		time.Sleep(500 * time.Millisecond)
		power = ln.validatorSet(0)[ln.consensusAddressFromKey(3)]
	}
	from := ln.maxHeight()
	ln.waitAllHeight(from+3, time.Minute)
	if signed := ln.signedBlocks(3, 0, from+1, from+3); len(signed) == 0 {
		t.Fatalf("node3 is a validator but signed none of blocks %d-%d", from+1, from+3)
	}

	// The admin removes genesis validator node2: its operator's stake unbonds.
	valoper2 := validatorOperator(t, ln.nodes[2], "operator")
	ln.mustPoaTx(0, "alice", "poa", "remove-validator", valoper2, "--no-proposal")
	ln.waitForValidator(2, 0, false, time.Minute)
	if len(ln.validatorSet(0)) != 3 {
		t.Fatalf("validator set after the removal: %v", ln.validatorSet(0))
	}
	h := ln.maxHeight()
	ln.waitAllHeight(h+3, time.Minute)
	ln.checkBlockGaps()
	ln.checkNoFork(h + 3)
}

// TestPoaGovernanceSwitchToPoS: a governance proposal
// switches the chain from POA to POS with no halt; afterwards a new operator
// creates a validator with its own stake and enters the set.
func TestPoaGovernanceSwitchToPoS(t *testing.T) {
	ln := createLocalnet(t, localnetOptions{Validators: 4, FullNodes: 1, VotingPeriod: 10 * time.Second})
	ln.startAll()
	ln.waitAllHeight(2, 3*time.Minute)
	candidate := 4
	validatorJSON := filepath.Join(t.TempDir(), "validator.json")
	spec := map[string]any{
		"amount": "50000000000uait", "moniker": "node4", "min-self-delegation": "1",
		"commission-rate": "0.1", "commission-max-rate": "0.2", "commission-max-change-rate": "0.01",
	}
	if err := json.Unmarshal([]byte(`{"pubkey":`+ln.consensusPubKey(candidate)+`}`), &spec); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(spec)
	if err := os.WriteFile(validatorJSON, raw, 0o600); err != nil {
		t.Fatal(err)
	}

	res, _ := ln.poaTx(candidate, "operator", "staking", "create-validator", validatorJSON)
	if res.Code == 0 || !strings.Contains(res.RawLog, "POA mode") {
		t.Fatalf("create-validator before the switch: code %d: %s, want refused in POA mode", res.Code, res.RawLog)
	}

	ln.switchMode("MODE_POS", 1)

	ln.mustPoaTx(candidate, "operator", "staking", "create-validator", validatorJSON)
	power := ln.waitForValidator(candidate, 0, true, time.Minute)
	t.Logf("node4 bonded its own stake and joined the set with power %d", power)
	h := ln.maxHeight()
	ln.waitAllHeight(h+3, time.Minute)
	if signed := ln.signedBlocks(candidate, 0, h+1, h+3); len(signed) == 0 {
		t.Fatalf("node4 signed none of blocks %d-%d", h+1, h+3)
	}
	ln.checkBlockGaps()
	ln.checkNoFork(h + 3)
}

// switchMode passes governance proposal number id, which sets x/poa's mode
// (and a 3000 bps cap): the "operator" key of node 0 submits it, every
// validator's operator votes yes, and it waits until the params show the mode.
func (ln *localnet) switchMode(mode string, id int) {
	t := ln.t
	t.Helper()
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	proposal := filepath.Join(t.TempDir(), "proposal.json")
	body := `{"messages":[{"@type":"/aitbc.poa.v1.MsgUpdateParams","authority":"` + gov + `",` +
		`"params":{"mode":"` + mode + `","max_power_change_bps":3000}}],` +
		`"deposit":"10000000uait","title":"Change the consensus mode","summary":"Switch x/poa to ` + mode + `."}`
	if err := os.WriteFile(proposal, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ln.mustPoaTx(0, "operator", "gov", "submit-proposal", proposal)
	for i, mn := range ln.net.Nodes {
		if mn.Role == lnet.RoleValidator {
			ln.mustPoaTx(i, "operator", "gov", "vote", strconv.Itoa(id), "yes")
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var p struct {
			Proposal struct {
				Status       string `json:"status"`
				FailedReason string `json:"failed_reason"`
			} `json:"proposal"`
		}
		if err := json.Unmarshal([]byte(ln.nodes[0].mustCLI("query", "gov", "proposal", strconv.Itoa(id), "--output", "json")), &p); err != nil {
			t.Fatal(err)
		}
		if p.Proposal.Status == "PROPOSAL_STATUS_PASSED" {
			break
		}
		if p.Proposal.Status != "PROPOSAL_STATUS_VOTING_PERIOD" || time.Now().After(deadline) {
			t.Fatalf("proposal %d: %s %s", id, p.Proposal.Status, p.Proposal.FailedReason)
		}
		time.Sleep(time.Second)
	}
	if out := ln.nodes[0].mustCLI("query", "poa", "params"); !strings.Contains(out, mode) {
		t.Fatalf("after proposal %d passed x/poa params are\n%s", id, out)
	}
}

// validatorOperator is the aitvaloper address of a key in node n's keyring.
func validatorOperator(t *testing.T, n *node, key string) string {
	t.Helper()
	return strings.TrimSpace(n.mustCLI("keys", "show", key, "--bech", "val", "-a"))
}
