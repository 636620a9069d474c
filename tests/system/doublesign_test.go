package system

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cosmos/cosmos-sdk/codec"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/networks/localnet/tomledit"
)

// doubleSignUnbonding is this test's staking unbonding time (the localnet's
// is 5 minutes): x/staking deletes a tombstoned validator only once it has
// unbonded, and only then may the authority add its operator again, so a
// short period lets the test show that within its time.
const doubleSignUnbonding = 20 * time.Second

// TestDoubleSignIsEvidencedJailedAndTombstoned: the real accident. A full
// node is started with a copy of running validator node3's key and
// double_sign_check_height = 0, so two processes sign as one validator.
// When that validator proposes, the copies propose different blocks and
// vote differently: the other validators commit DuplicateVoteEvidence,
// x/evidence and x/slashing slash, jail and tombstone node3, it leaves
// CometBFT's set, and the chain goes on with the other three (the largest
// block gap is logged). x/poa's view agrees with x/staking: jailed, not
// bonded, no power, nothing pending for it. node3 cannot unjail; the
// authority removes it, and once x/staking has deleted the unbonded record,
// adds the same operator again with a new consensus key (the tombstoned
// key is refused), and node3 signs blocks again.
func TestDoubleSignIsEvidencedJailedAndTombstoned(t *testing.T) {
	t.Parallel() // its own network; runs beside the others
	ln := createLocalnet(t, localnetOptions{Validators: 4, Env: []string{"BLOCK_TIME=500ms"}})
	admin := strings.TrimSpace(ln.nodes[0].mustCLI("keys", "show", "alice", "-a"))
	for _, n := range ln.nodes {
		n.modifyGenesis(withPoaAdmin(admin), withUnbondingTime(doubleSignUnbonding))
	}
	const victim = 3
	cp := ln.addNode()
	ln.copyValidatorKey(victim, cp)

	for i := 0; i < 4; i++ {
		ln.startNode(i)
	}
	ln.waitAllHeight(3, 2*time.Minute)
	oldAddr := ln.consensusAddressFromKey(victim)
	oldPubKey := ln.consensusPubKey(victim)
	valoper := validatorOperator(t, ln.nodes[victim], "operator")
	if power := ln.validatorSet(0)[oldAddr]; power != 100000 {
		t.Fatalf("node3 (%s) has power %d in CometBFT's set, want 100000", oldAddr, power)
	}

	// The accident: a second process signing with node3's key.
	ln.startNode(cp)
	started := ln.maxHeight()
	evHeight, ev := ln.waitForEvidence(0, started, time.Minute)
	t.Logf("copy of node3's key started at height %d; DuplicateVoteEvidence against %s committed in block %d (%d blocks later): "+
		"infraction height %d round %d, %s votes for %s and %s, power %d",
		started, ev.VoteA.ValidatorAddress, evHeight, evHeight-started, ev.VoteA.Height, ev.VoteA.Round,
		ev.VoteA.Type, ev.VoteA.BlockID.Hash, ev.VoteB.BlockID.Hash, ev.ValidatorPower)
	if !strings.EqualFold(ev.VoteA.ValidatorAddress.String(), oldAddr) {
		t.Fatalf("evidence against %s, want node3's %s", ev.VoteA.ValidatorAddress, oldAddr)
	}
	if reason := ln.nodes[0].slashReason(evHeight); reason != "double_sign" {
		t.Fatalf("block %d's events slash with reason %q, want double_sign", evHeight, reason)
	}

	// x/slashing: tombstoned and jailed for ever.
	info := ln.signingInfo(0, oldPubKey)
	if !info.Tombstoned || info.JailedUntil.Year() < 9999 {
		t.Fatalf("node3's signing info %+v: want tombstoned and jailed until the year 9999", info)
	}
	// x/staking: jailed, unbonding, 5% slashed (slash_fraction_double_sign).
	v := ln.stakingValidator(0, valoper)
	if !v.Jailed || v.Status != stakingtypes.Unbonding.String() {
		t.Fatalf("x/staking has node3 jailed=%v status %s, want jailed and %s", v.Jailed, v.Status, stakingtypes.Unbonding)
	}
	if v.Tokens != "95000000000" {
		t.Fatalf("node3 holds %s uait after the double sign, want 95000000000 (5%% of 100000000000 slashed)", v.Tokens)
	}
	// CometBFT: out of the set (validator updates take effect two blocks on).
	ln.waitForValidator(victim, 0, false, 30*time.Second)
	set := ln.validatorSet(0)
	var cometTotal int64
	for _, p := range set {
		cometTotal += p
	}
	t.Logf("node3: tombstoned, jailed until %s, %s, %s uait; CometBFT's set %d validators, total power %d",
		info.JailedUntil.Format(time.RFC3339), v.Status, v.Tokens, len(set), cometTotal)

	// x/poa agrees: the validator is listed jailed and not bonded with no
	// power, total_power is CometBFT's, and no change tries to bring it back.
	pv := ln.poaValidators(0)
	row, listed := pv.find(valoper)
	if !listed || !row.Jailed || row.Bonded || row.Power != 0 || row.TargetPower != 0 {
		t.Fatalf("x/poa lists node3 as %+v (listed %v), want jailed, not bonded, power and target 0", row, listed)
	}
	if int64(pv.TotalPower) != cometTotal || cometTotal != 300000 {
		t.Fatalf("x/poa total_power %d, CometBFT's %d, want both 300000", pv.TotalPower, cometTotal)
	}
	var rest poaValidatorList
	getJSON(t, fmt.Sprintf("http://127.0.0.1:%d/aitbc/poa/v1/validators", ln.nodes[0].ports.API), &rest)
	if restRow, ok := rest.find(valoper); !ok || restRow != row || rest.TotalPower != pv.TotalPower {
		t.Fatalf("REST /aitbc/poa/v1/validators has node3 as %+v (listed %v), total %d; the CLI %+v, total %d", restRow, ok, rest.TotalPower, row, pv.TotalPower)
	}
	if pending := ln.poaPendingChanges(0); len(pending) != 0 {
		t.Fatalf("x/poa has pending changes after the jail: %v", pending)
	}

	// It cannot come back by itself.
	res, included := ln.poaTx(victim, "operator", "slashing", "unjail")
	if res.Code == 0 && included.Code == 0 {
		t.Fatal("tx slashing unjail of a tombstoned validator succeeded")
	}
	t.Logf("tx slashing unjail refused: CheckTx %d %s; block %d %s", res.Code, res.RawLog, included.Code, included.Log)

	// The chain stays live on the other three.
	top := ln.waitAllHeight(evHeight+10, time.Minute)
	gap, at := largestBlockGap(ln.nodes[0].blockMetas(started, top))
	t.Logf("largest block gap around the incident, blocks %d-%d (the copy started at %d, infraction at %d, evidence in %d): %s before block %d",
		started, top, started, ev.VoteA.Height, evHeight, gap, at)
	if gap > maxBlockGap {
		t.Fatalf("blocks %d and %d are %s apart, more than %s", at-1, at, gap, maxBlockGap)
	}
	ln.checkNoForkAmong(top, 0, 1, 2, victim, cp)

	// The accident ends: both processes with the old key stop for good.
	ln.killNode(cp)
	ln.stopNode(victim)

	// Re-adding needs a new consensus key; the operator's record is still in
	// x/staking, so adding it now is refused, saying what to do.
	newPV := newValidatorKey(t)
	newPubKey := pubKeyJSON(newPV)
	res, included = ln.poaTx(0, "alice", "poa", "add-validator", ln.operator(victim), newPubKey, "100000", "node3", "--no-proposal")
	if included.Code == 0 || !strings.Contains(included.Log, "already runs validator") || !strings.Contains(included.Log, "tombstoned") {
		t.Fatalf("add-validator for node3's operator while x/staking holds it: CheckTx %d %s; block %d %s, want refused as tombstoned",
			res.Code, res.RawLog, included.Code, included.Log)
	}
	t.Logf("add-validator before the removal refused: %s", included.Log)

	// The authority removes it: its stake unbonds to nothing, and x/staking
	// deletes the validator once its unbonding period has ended.
	removed := ln.mustPoaTx(0, "alice", "poa", "remove-validator", valoper, "--no-proposal")
	deleted := ln.waitForValidatorDeleted(0, valoper, doubleSignUnbonding+time.Minute)
	t.Logf("remove-validator in block %d; x/staking deleted node3's validator by height %d", removed.Height, deleted)

	// The tombstoned key never comes back, under any operator.
	bob := ln.nodes[0].keyAddress("bob")
	_, included = ln.poaTx(0, "alice", "poa", "add-validator", bob, oldPubKey, "100000", "bob", "--no-proposal")
	if included.Code == 0 || !strings.Contains(included.Log, "tombstoned") {
		t.Fatalf("add-validator with node3's tombstoned key: block code %d %s, want refused as tombstoned", included.Code, included.Log)
	}

	// node3 restarts with the new key and an empty sign state; the
	// authority adds its operator again with that key.
	ln.installValidatorKey(victim, newPV)
	ln.startNode(victim)
	readded := ln.mustPoaTx(0, "alice", "poa", "add-validator", ln.operator(victim), newPubKey, "100000", "node3", "--no-proposal")
	power := ln.waitForValidator(victim, 0, true, time.Minute)
	for deadline := time.Now().Add(time.Minute); power < 100000; time.Sleep(500 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("re-added node3 has power %d after a minute, want 100000", power)
		}
		power = ln.validatorSet(0)[ln.consensusAddressFromKey(victim)]
	}
	// It signs again (once it has caught up and switched from block sync to consensus).
	from := ln.maxHeight()
	var signed []int64
	end := from
	for len(signed) == 0 {
		if end-from > 40 {
			t.Fatalf("re-added node3 signed none of blocks %d-%d\n%s", from+1, end, ln.nodes[victim].logTail())
		}
		next := ln.waitAllHeight(end+1, time.Minute)
		signed = ln.signedBlocks(victim, 0, end+1, next)
		end = next
	}
	end = ln.waitAllHeight(end+3, time.Minute)
	signed = ln.signedBlocks(victim, 0, signed[0], end)
	if again := ln.stakingValidator(0, valoper); again.Jailed || again.Status != stakingtypes.Bonded.String() {
		t.Fatalf("re-added node3 in x/staking: jailed=%v %s, want bonded", again.Jailed, again.Status)
	}
	t.Logf("node3 re-added in block %d with key %s, power %d from block %d; first signed block %d, then %d of blocks %d-%d",
		readded.Height, ln.consensusAddressFromKey(victim), power, from, signed[0], len(signed), signed[0], end)

	top = ln.waitAllHeight(ln.maxHeight(), time.Minute)
	gap, at = largestBlockGap(ln.nodes[0].blockMetas(2, top))
	t.Logf("largest block gap in blocks 2-%d: %s before block %d", top, gap, at)
	if gap > maxBlockGap {
		t.Fatalf("blocks %d and %d are %s apart, more than %s", at-1, at, gap, maxBlockGap)
	}
	ln.checkNoForkAmong(top, 0, 1, 2, victim)
}

// withUnbondingTime sets x/staking's unbonding time.
func withUnbondingTime(d time.Duration) genesisMutator {
	return func(t testing.TB, cdc codec.JSONCodec, _ *genutiltypes.AppGenesis, appState map[string]json.RawMessage) {
		editModuleGenesis(t, cdc, appState, stakingtypes.ModuleName, &stakingtypes.GenesisState{},
			func(s *stakingtypes.GenesisState) { s.Params.UnbondingTime = d })
	}
}

// copyValidatorKey gives node `to` (not started) node `from`'s consensus key,
// keeps the empty sign state add-node made, and turns CometBFT's
// double_sign_check_height off in its config: the set-up of an operator who
// starts a second machine with the same key.
func (ln *localnet) copyValidatorKey(from, to int) {
	ln.t.Helper()
	key, err := os.ReadFile(filepath.Join(ln.nodes[from].home, "config", "priv_validator_key.json"))
	if err != nil {
		ln.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ln.nodes[to].home, "config", "priv_validator_key.json"), key, 0o600); err != nil {
		ln.t.Fatal(err)
	}
	var state struct {
		Height string `json:"height"`
	}
	raw, err := os.ReadFile(filepath.Join(ln.nodes[to].home, "data", "priv_validator_state.json"))
	if err != nil || json.Unmarshal(raw, &state) != nil || state.Height != "0" {
		ln.t.Fatalf("node%d's sign state is not the empty one add-node writes: %s %v", to, raw, err)
	}
	// Set explicitly: the node default may turn the check on.
	if err := tomledit.SetLiterals(filepath.Join(ln.nodes[to].home, "config", "config.toml"), "consensus",
		map[string]string{"double_sign_check_height": "0"}); err != nil {
		ln.t.Fatal(err)
	}
}

// newValidatorKey makes a new consensus key with CometBFT's own privval
// (saved under a temporary directory; installValidatorKey moves it into place).
func newValidatorKey(t *testing.T) *privval.FilePV {
	t.Helper()
	dir := t.TempDir()
	pv := privval.GenFilePV(filepath.Join(dir, "priv_validator_key.json"), filepath.Join(dir, "priv_validator_state.json"))
	pv.Save()
	return pv
}

// pubKeyJSON is pv's public key as `comet show-validator` prints it.
func pubKeyJSON(pv *privval.FilePV) string {
	return fmt.Sprintf(`{"@type":"/cosmos.crypto.ed25519.PubKey","key":"%s"}`, base64.StdEncoding.EncodeToString(pv.Key.PubKey.Bytes()))
}

// installValidatorKey replaces node i's consensus key by pv's, with an empty
// sign state (the state of the old key means nothing for the new one).
func (ln *localnet) installValidatorKey(i int, pv *privval.FilePV) {
	ln.t.Helper()
	home := ln.nodes[i].home
	installed := privval.NewFilePV(pv.Key.PrivKey,
		filepath.Join(home, "config", "priv_validator_key.json"), filepath.Join(home, "data", "priv_validator_state.json"))
	installed.Save()
}

// waitForEvidence scans node via's blocks from height `from` until one
// carries evidence, and returns its height and the DuplicateVoteEvidence.
func (ln *localnet) waitForEvidence(via int, from int64, within time.Duration) (int64, *cmttypes.DuplicateVoteEvidence) {
	ln.t.Helper()
	deadline := time.Now().Add(within)
	n := ln.nodes[via]
	for h := from; ; h++ {
		for {
			if top, err := n.height(); err == nil && top >= h {
				break
			}
			if time.Now().After(deadline) {
				ln.t.Fatalf("no evidence in blocks %d-%d within %s", from, h-1, within)
			}
			time.Sleep(200 * time.Millisecond)
		}
		for _, ev := range n.block(h).Block.Evidence.Evidence {
			dve, ok := ev.(*cmttypes.DuplicateVoteEvidence)
			if !ok {
				ln.t.Fatalf("block %d carries %T, want DuplicateVoteEvidence", h, ev)
			}
			return h, dve
		}
	}
}

// slashReason is the reason attribute of the slash event in block h's
// results ("" if there is none).
func (n *node) slashReason(h int64) string {
	n.t.Helper()
	ctx, cancel := rpcCtx()
	defer cancel()
	res, err := n.comet().BlockResults(ctx, &h)
	if err != nil {
		n.t.Fatalf("CometBFT RPC block_results %d: %v", h, err)
	}
	for _, ev := range res.FinalizeBlockEvents {
		if ev.Type != "slash" {
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key == "reason" {
				return a.Value
			}
		}
	}
	return ""
}

// signingInfo is x/slashing's signing info for a consensus key (`q slashing signing-info`).
type signingInfo struct {
	Tombstoned  bool      `json:"tombstoned"`
	JailedUntil time.Time `json:"jailed_until"`
}

func (ln *localnet) signingInfo(via int, pubKey string) signingInfo {
	ln.t.Helper()
	var out struct {
		Info signingInfo `json:"val_signing_info"`
	}
	raw := ln.nodes[via].mustCLI("query", "slashing", "signing-info", pubKey, "--output", "json")
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		ln.t.Fatalf("signing-info: %v\n%s", err, raw)
	}
	return out.Info
}

// stakingValidator is the part of `q staking validator` the test reads.
type stakingValidator struct {
	Jailed bool   `json:"jailed"`
	Status string `json:"status"`
	Tokens string `json:"tokens"`
}

func (ln *localnet) stakingValidator(via int, valoper string) stakingValidator {
	ln.t.Helper()
	var out struct {
		Validator stakingValidator `json:"validator"`
	}
	raw := ln.nodes[via].mustCLI("query", "staking", "validator", valoper, "--output", "json")
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		ln.t.Fatalf("staking validator: %v\n%s", err, raw)
	}
	return out.Validator
}

// waitForValidatorDeleted waits until x/staking no longer knows valoper and
// returns the height then.
func (ln *localnet) waitForValidatorDeleted(via int, valoper string, within time.Duration) int64 {
	ln.t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, err := ln.nodes[via].cli("query", "staking", "validator", valoper, "--output", "json")
		if err != nil && strings.Contains(err.Error(), "not found") {
			return ln.maxHeight()
		}
		if time.Now().After(deadline) {
			ln.t.Fatalf("x/staking still has validator %s after %s (%v): %+v", valoper, within, err, ln.stakingValidator(via, valoper))
		}
		time.Sleep(time.Second)
	}
}

// jsonInt decodes an integer JSON gives as a number or (proto JSON's int64) a string.
type jsonInt int64

func (j *jsonInt) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseInt(strings.Trim(string(b), `"`), 10, 64)
	*j = jsonInt(v)
	return err
}

type poaValidatorRow struct {
	ValidatorAddress string  `json:"validator_address"`
	Power            jsonInt `json:"power"`
	TargetPower      jsonInt `json:"target_power"`
	Managed          bool    `json:"managed"`
	Bonded           bool    `json:"bonded"`
	Jailed           bool    `json:"jailed"`
}

type poaValidatorList struct {
	Validators []poaValidatorRow `json:"validators"`
	TotalPower jsonInt           `json:"total_power"`
}

func (l poaValidatorList) find(valoper string) (poaValidatorRow, bool) {
	for _, v := range l.Validators {
		if v.ValidatorAddress == valoper {
			return v, true
		}
	}
	return poaValidatorRow{}, false
}

// poaValidators is `q poa validators`.
func (ln *localnet) poaValidators(via int) poaValidatorList {
	ln.t.Helper()
	var out poaValidatorList
	raw := ln.nodes[via].mustCLI("query", "poa", "validators", "--output", "json")
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		ln.t.Fatalf("poa validators: %v\n%s", err, raw)
	}
	return out
}

// poaPendingChanges is `q poa pending-changes`, raw.
func (ln *localnet) poaPendingChanges(via int) []json.RawMessage {
	ln.t.Helper()
	var out struct {
		Changes []json.RawMessage `json:"pending_changes"`
	}
	raw := ln.nodes[via].mustCLI("query", "poa", "pending-changes", "--output", "json")
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		ln.t.Fatalf("poa pending-changes: %v\n%s", err, raw)
	}
	return out.Changes
}

// checkNoForkAmong is checkNoFork over the given running nodes only.
func (ln *localnet) checkNoForkAmong(upTo int64, nodes ...int) {
	ln.t.Helper()
	ref := ln.nodes[nodes[0]].blockMetas(1, upTo)
	for _, i := range nodes[1:] {
		got := ln.nodes[i].blockMetas(1, upTo)
		for k := range ref {
			if got[k].Hash != ref[k].Hash || got[k].AppHash != ref[k].AppHash {
				ln.t.Fatalf("fork at height %d: node%d block %s app %s, node%d block %s app %s",
					ref[k].Height, nodes[0], ref[k].Hash, ref[k].AppHash, i, got[k].Hash, got[k].AppHash)
			}
		}
	}
}
