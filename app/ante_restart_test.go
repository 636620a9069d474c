package app_test

import (
	"bytes"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/app/apptesting"
)

// sendTx is a bank send from Accounts[0] to Accounts[1] at sequence seq with
// gas limit gas, signed for the account's real number.
func sendTx(t *testing.T, c *apptesting.Chain, seq, gas uint64) []byte {
	t.Helper()
	acc := c.App.AccountKeeper.GetAccount(c.Context(), c.Accounts[0].Addr)
	if acc.GetAccountNumber() == 0 {
		t.Fatal("the test needs a sender whose account number is not 0 (0 is what genesis signs with)")
	}
	msg := banktypes.NewMsgSend(c.Accounts[0].Addr, c.Accounts[1].Addr, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
	return c.SignTx(c.Accounts[0], seq, gas, msg)
}

// After a restart, before any new block, CheckTx is at the next height, not
// at "genesis": a correctly signed transaction passes and gas is metered.
// The blocks the restarted node then makes are those of a node that never
// restarted (same app hashes).
func TestCheckTxRightAfterRestart(t *testing.T) {
	c := apptesting.New(t, apptesting.Options{Accounts: 2})
	c.NextBlock(sendTx(t, c, 0, 200_000))
	c.Restart()
	if h := c.App.LastBlockHeight(); h != 2 {
		t.Fatalf("restarted app at height %d, want 2", h)
	}

	if res := c.CheckTx(sendTx(t, c, 1, 200_000)); res.Code != 0 {
		t.Fatalf("CheckTx of a correctly signed tx after a restart: code %d: %s", res.Code, res.Log)
	}
	// Gas is metered as on any other block: a limit too low for the tx's size is refused.
	if res := c.CheckTx(sendTx(t, c, 1, 1_000)); res.Code != sdkerrors.ErrOutOfGas.ABCICode() {
		t.Fatalf("CheckTx with 1000 gas after a restart: code %d (%s), want out of gas (%d)",
			res.Code, res.Log, sdkerrors.ErrOutOfGas.ABCICode())
	}
	restarted := c.NextBlock(sendTx(t, c, 1, 200_000))
	if code := restarted.TxResults[0].Code; code != 0 {
		t.Fatalf("block 3 after the restart: tx code %d: %s", code, restarted.TxResults[0].Log)
	}

	// The same blocks on a node that never restarted.
	ref := apptesting.New(t, apptesting.Options{Accounts: 2})
	ref.NextBlock(sendTx(t, ref, 0, 200_000))
	ref.NextBlock(sendTx(t, ref, 1, 200_000))
	if !bytes.Equal(c.App.LastCommitID().Hash, ref.App.LastCommitID().Hash) {
		t.Fatalf("app hash at height 3 differs after a restart: %X, without one %X",
			c.App.LastCommitID().Hash, ref.App.LastCommitID().Hash)
	}
}
