package app_test

import (
	"math/big"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	sdkmath "cosmossdk.io/math"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/x/authz"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/app/apptesting"
)

// signed signs msgs from account 0 of c at its committed sequence.
func signed(t *testing.T, c *apptesting.Chain, msgs ...sdk.Msg) []byte {
	t.Helper()
	acc := c.App.AccountKeeper.GetAccount(c.Context(), c.Accounts[0].Addr)
	return c.SignTx(c.Accounts[0], acc.GetSequence(), 10_000_000, msgs...)
}

// execNest wraps msg in depth MsgExecs whose grantee is the sender, which
// authz allows without a grant.
func execNest(t *testing.T, grantee sdk.AccAddress, depth int, msg sdk.Msg) sdk.Msg {
	t.Helper()
	for range depth {
		exec := authz.NewMsgExec(grantee, []sdk.Msg{msg})
		msg = &exec
	}
	return msg
}

// Malformed bank sends and deep MsgExec nesting are refused at CheckTx with
// the error x/bank would have given in the block, and when a proposer puts
// them in a block anyway they fail in the ante handler: no fee is charged,
// and nothing panics.
func TestMsgLimitsRefuseBeforeTheFee(t *testing.T) {
	c := apptesting.New(t, apptesting.Options{})
	from, to := c.Accounts[0].Addr, c.Accounts[1].Addr
	half := sdkmath.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), 255)) // two of them overflow 2^256-1
	coins := func(amount sdkmath.Int) sdk.Coins { return sdk.Coins{sdk.Coin{Denom: app.BondDenom, Amount: amount}} }
	send := func(amount int64) sdk.Msg { return banktypes.NewMsgSend(from, to, coins(sdkmath.NewInt(amount))) }
	manySends := make([]sdk.Msg, 0, app.MaxTxMessages)
	for range app.MaxTxMessages {
		manySends = append(manySends, send(1))
	}

	cases := []struct {
		name string
		msgs []sdk.Msg
		code uint32
		log  string
	}{
		{"negative send", []sdk.Msg{send(-5)}, sdkerrors.ErrInvalidCoins.ABCICode(), "-5uait"},
		{"zero send", []sdk.Msg{send(0)}, sdkerrors.ErrInvalidCoins.ABCICode(), "want positive amounts"},
		{"empty send", []sdk.Msg{banktypes.NewMsgSend(from, to, nil)}, sdkerrors.ErrInvalidCoins.ABCICode(), "want positive amounts"},
		{"negative send inside MsgExec", []sdk.Msg{execNest(t, from, 2, send(-5))}, sdkerrors.ErrInvalidCoins.ABCICode(), "-5uait"},
		{"multi-send outputs overflowing", []sdk.Msg{banktypes.NewMsgMultiSend(banktypes.NewInput(from, coins(sdkmath.OneInt())),
			[]banktypes.Output{banktypes.NewOutput(to, coins(half)), banktypes.NewOutput(to, coins(half))})},
			sdkerrors.ErrInvalidCoins.ABCICode(), "add up past the largest amount"},
		{"multi-send not balanced", []sdk.Msg{banktypes.NewMsgMultiSend(banktypes.NewInput(from, coins(sdkmath.NewInt(3))),
			[]banktypes.Output{banktypes.NewOutput(to, coins(sdkmath.NewInt(2)))})},
			banktypes.ErrInputOutputMismatch.ABCICode(), "sum inputs != sum outputs"},
		{"multi-send negative output", []sdk.Msg{banktypes.NewMsgMultiSend(banktypes.NewInput(from, coins(sdkmath.NewInt(3))),
			[]banktypes.Output{banktypes.NewOutput(to, coins(sdkmath.NewInt(-3)))})},
			sdkerrors.ErrInvalidCoins.ABCICode(), "-3uait"},
		{"MsgExec nested 4 deep", []sdk.Msg{execNest(t, from, app.MaxMsgExecDepth+1, send(1))},
			sdkerrors.ErrInvalidRequest.ABCICode(), "nested more than 3 deep"},
		{"one message too many", append([]sdk.Msg{execNest(t, from, 1, send(1))}, manySends...),
			sdkerrors.ErrInvalidRequest.ABCICode(), "more than 1000 messages"},
	}
	balance := func() sdkmath.Int { return c.App.BankKeeper.GetBalance(c.Context(), from, app.BondDenom).Amount }
	before := balance()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tx := signed(t, c, tc.msgs...)
			res, err := c.App.CheckTx(&abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New})
			if err != nil {
				t.Fatal(err)
			}
			if res.Code != tc.code || res.Codespace == "" || !strings.Contains(res.Log, tc.log) {
				t.Fatalf("CheckTx: code %d (%s) %q, want code %d with %q", res.Code, res.Codespace, res.Log, tc.code, tc.log)
			}
			// A proposer that includes it anyway: the block refuses it the
			// same way, before the fee.
			block := c.NextBlock(tx)
			if r := block.TxResults[0]; r.Code != tc.code || strings.Contains(r.Log, "panic") {
				t.Fatalf("in a block: code %d %q, want code %d", r.Code, r.Log, tc.code)
			}
			if got := balance(); !got.Equal(before) {
				t.Fatalf("balance %s after the refused transaction, was %s: a fee was charged", got, before)
			}
		})
	}

	// Within the bounds: a send through MsgExec nested MaxMsgExecDepth deep,
	// next to MaxTxMessages-4 plain sends, passes and runs.
	ok := append([]sdk.Msg{execNest(t, from, app.MaxMsgExecDepth, send(7))}, manySends[:app.MaxTxMessages-app.MaxMsgExecDepth-1]...)
	tx := signed(t, c, ok...)
	if res, _ := c.App.CheckTx(&abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New}); res.Code != 0 {
		t.Fatalf("within the bounds: CheckTx code %d: %s", res.Code, res.Log)
	}
}

// The SDK's decoder bounds Any nesting by itself: a 50-deep MsgExec never
// reaches the ante handler (this pins what MaxMsgExecDepth relies on).
func TestDecoderBoundsAnyNesting(t *testing.T) {
	if codectypes.MaxUnpackAnyRecursionDepth > 10 || codectypes.MaxUnpackAnySubCalls > 100 {
		t.Fatalf("the SDK's Any bounds grew: depth %d, sub-calls %d", codectypes.MaxUnpackAnyRecursionDepth, codectypes.MaxUnpackAnySubCalls)
	}
	c := apptesting.New(t, apptesting.Options{})
	msg := execNest(t, c.Accounts[0].Addr, 50, banktypes.NewMsgSend(c.Accounts[0].Addr, c.Accounts[1].Addr,
		sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1))))
	res, err := c.App.CheckTx(&abci.RequestCheckTx{Tx: signed(t, c, msg), Type: abci.CheckTxType_New})
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != sdkerrors.ErrTxDecode.ABCICode() || !strings.Contains(res.Log, "max depth exceeded") {
		t.Fatalf("50-deep MsgExec: code %d %q, want a decode error", res.Code, res.Log)
	}
}
