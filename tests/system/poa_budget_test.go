package system

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aitbc/chain/x/poa/types"
)

// powerBudgetBps is the localnet's max_power_change_bps (x/poa's default,
// and the value switchMode sets).
const powerBudgetBps = types.DefaultMaxPowerChangeBps

// TestPowerBudgetHoldsInHybridAndPoS: on a 3-validator HYBRID localnet an
// allow-listed operator's self-bond of twice the total power is refused in
// CheckTx with the amount that fits; bonding spread over blocks (and several
// bonds racing into one block) goes through, but never more than
// max_power_change_bps of the last total power in one block. Governance then
// switches to POS and a plain delegator tries the same. The bound is checked
// from CometBFT's /validators at every height of the run.
func TestPowerBudgetHoldsInHybridAndPoS(t *testing.T) {
	ln := createLocalnet(t, localnetOptions{Validators: 3, ConsensusMode: "hybrid", VotingPeriod: 10 * time.Second})
	admin := ln.nodes[0].keyAddress("alice")
	ln.setGenesisPoaAdmin(admin)
	ln.startAll()
	first := ln.waitAllHeight(2, 3*time.Minute)
	n := ln.nodes[0]
	valoper := validatorOperator(t, n, "operator")

	// A stranger is told it is a delegator that is not on the allow-list.
	res, _ := ln.poaTx(0, "carol", "staking", "delegate", valoper, "1000000uait")
	if res.Code != types.ErrNotAllowListed.ABCICode() || !strings.Contains(res.RawLog, "delegator") {
		t.Fatalf("carol's delegation in HYBRID: code %d: %s", res.Code, res.RawLog)
	}
	for _, key := range []string{"operator", "alice", "bob"} {
		ln.mustPoaTx(0, "alice", "poa", "allow-operator", n.keyAddress(key), "--no-proposal")
	}

	total := n.totalPower()
	twice := fmt.Sprintf("%duait", 2*total*1_000_000)
	res, _ = ln.poaTx(0, "operator", "staking", "delegate", valoper, twice)
	if res.Code != types.ErrPowerBudgetExceeded.ABCICode() || !strings.Contains(res.RawLog, "is left in this block") {
		t.Fatalf("a self-bond of 2x the total power (%s): code %d: %s", twice, res.Code, res.RawLog)
	}
	t.Logf("self-bond of %s refused in CheckTx: %s", twice, res.RawLog)

	// The set doubles in bonds of 45% of the budget each, three at a time:
	// two fit in a block, the third does not.
	refused := ln.bondInRounds(valoper, []string{"operator", "alice", "bob"}, total)

	// POS: anyone may bond, and the bound still holds.
	ln.switchMode("MODE_POS", 1)
	total = n.totalPower()
	res, _ = ln.poaTx(0, "faucet", "staking", "delegate", valoper, fmt.Sprintf("%duait", 2*total*1_000_000))
	if res.Code != types.ErrPowerBudgetExceeded.ABCICode() {
		t.Fatalf("a delegation of 2x the total power in POS: code %d: %s", res.Code, res.RawLog)
	}
	refused += ln.bondInRounds(valoper, []string{"faucet", "carol", "bob"}, total/2)

	last := ln.waitAllHeight(ln.maxHeight()+3, time.Minute)
	worst, at, changed := checkPowerIncreases(t, n, first, last)
	t.Logf("heights %d-%d: %d changed the set; largest increase %.2f%% of the last total (at %d), bound %.2f%%; %d bonds refused in a block",
		first, last, changed, worst*100, at, float64(powerBudgetBps)/100, refused)
	if changed == 0 {
		t.Fatal("no height changed the validator set: the bound was not exercised")
	}
	ln.checkNoFork(last)
}

// bondInRounds delegates 45% of the block's budget from each key to valoper
// at the same time, round after round, until the validator set has grown by
// want power. A bond may fail in its block when the others took the budget
// (ErrPowerBudgetExceeded, fee paid); any other failure fails the test.
// It returns how many bonds the budget refused.
func (ln *localnet) bondInRounds(valoper string, keys []string, want int64) int {
	t := ln.t
	t.Helper()
	n := ln.nodes[0]
	target := n.totalPower() + want
	refused := 0
	deadline := time.Now().Add(3 * time.Minute)
	for n.totalPower() < target {
		if time.Now().After(deadline) {
			t.Fatalf("the set grew to %d power of the %d wanted within 3 minutes", n.totalPower(), target)
		}
		amount := fmt.Sprintf("%duait", n.totalPower()*powerBudgetBps/10_000*45/100*1_000_000)
		results := make([]txResult, len(keys))
		errs := make([]error, len(keys))
		var wg sync.WaitGroup
		for i, key := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = ln.nodes[i%len(ln.nodes)].broadcast(key, "staking", "delegate", valoper, amount)
			}()
		}
		wg.Wait()
		for i, res := range results {
			if errs[i] != nil {
				t.Fatalf("delegate from %s: %v", keys[i], errs[i])
			}
			if res.Code == types.ErrPowerBudgetExceeded.ABCICode() {
				refused++ // CheckTx saw an earlier round's bonds in this block's budget
				continue
			}
			if res.Code != 0 {
				t.Fatalf("delegate from %s: CheckTx code %d: %s", keys[i], res.Code, res.RawLog)
			}
			included := ln.nodes[i%len(ln.nodes)].waitForTx(res.TxHash, time.Minute)
			switch {
			case included.Code == types.ErrPowerBudgetExceeded.ABCICode():
				refused++
			case included.Code != 0:
				t.Fatalf("delegate from %s failed in block %d: code %d: %s", keys[i], included.Height, included.Code, included.Log)
			}
		}
		// The set changes two blocks after the bonds' block.
		ln.waitAllHeight(ln.maxHeight()+2, time.Minute)
	}
	return refused
}

// totalPower is the sum of CometBFT's voting powers at the latest height.
func (n *node) totalPower() int64 {
	var total int64
	for _, p := range n.validators() {
		total += p
	}
	return total
}

// validatorsAt is CometBFT's validator set at height h: address → power.
func (n *node) validatorsAt(h int64) map[string]int64 {
	n.t.Helper()
	ctx, cancel := rpcCtx()
	defer cancel()
	perPage := 100
	res, err := n.comet().Validators(ctx, &h, nil, &perPage)
	if err != nil {
		n.t.Fatalf("CometBFT RPC validators at %d: %v", h, err)
	}
	set := map[string]int64{}
	for _, v := range res.Validators {
		set[v.Address.String()] = v.VotingPower
	}
	return set
}

// checkPowerIncreases fails the test if, between any two consecutive
// heights in from..to, CometBFT's validator set grew by more than
// max_power_change_bps of the earlier total (the sum of every validator's
// gain; new validators gain all their power). It returns the largest growth
// as a fraction of the earlier total, its height, and how many heights
// changed the set at all.
func checkPowerIncreases(t *testing.T, n *node, from, to int64) (worst float64, at int64, changed int) {
	t.Helper()
	prev := n.validatorsAt(from)
	for h := from + 1; h <= to; h++ {
		cur := n.validatorsAt(h)
		var before, increase int64
		for _, p := range prev {
			before += p
		}
		different := len(cur) != len(prev)
		for addr, p := range cur {
			if p != prev[addr] {
				different = true
			}
			increase += max(p-prev[addr], 0)
		}
		if different {
			changed++
		}
		bound := before * powerBudgetBps / 10_000
		if increase > bound {
			t.Fatalf("height %d: the validator set grew by %d power, more than %d (%d bps of %d at height %d)\nbefore %v\nafter %v",
				h, increase, bound, powerBudgetBps, before, h-1, prev, cur)
		}
		if f := float64(increase) / float64(before); f > worst {
			worst, at = f, h
		}
		prev = cur
	}
	return worst, at, changed
}
