package compute_test

import (
	"math/rand"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	sdkmath "cosmossdk.io/math"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/app/apptesting"
	"github.com/aitbc/chain/x/compute/types"
)

// signedTx signs msg from account 0 of c at its committed sequence.
func signedTx(t *testing.T, c *apptesting.Chain, msg sdk.Msg) []byte {
	t.Helper()
	acc := c.App.AccountKeeper.GetAccount(c.Context(), c.Accounts[0].Addr)
	fee := sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(5000)))
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(1)), c.App.TxConfig(), []sdk.Msg{msg}, fee, 1_000_000,
		apptesting.ChainID, []uint64{acc.GetAccountNumber()}, []uint64{acc.GetSequence()}, c.Accounts[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	bz, err := c.App.TxConfig().TxEncoder()(tx)
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

// TestMalformedMessagesRefusedBeforeTheFee: oversized x/compute messages
// are refused by CheckTx, and if a proposer includes one anyway it fails
// before the ante handler, so the sender pays no fee.
func TestMalformedMessagesRefusedBeforeTheFee(t *testing.T) {
	c := apptesting.New(t, apptesting.Options{})
	owner := c.Accounts[0]
	pk, err := codectypes.NewAnyWithValue(owner.Key.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	register := func(edit func(*types.MsgRegisterProvider)) *types.MsgRegisterProvider {
		m := &types.MsgRegisterProvider{
			Owner: owner.Addr.String(), Pubkey: pk, Endpoint: "https://gpu.example", Models: []string{"llama-3-8b"},
			PricePerUnit: sdkmath.NewInt(1000), Bond: sdkmath.NewInt(200_000_000),
		}
		edit(m)
		return m
	}
	models := make([]string, 10_000)
	for i := range models {
		models[i] = strings.Repeat("m", 1+i%100)
	}
	for _, tc := range []struct {
		name string
		msg  sdk.Msg
		code uint32
		log  string
	}{
		{"100 kB endpoint", register(func(m *types.MsgRegisterProvider) { m.Endpoint = strings.Repeat("e", 100_000) }),
			types.ErrInvalidProvider.ABCICode(), "endpoint has 100000 bytes, at most 256"},
		{"10,000 models", register(func(m *types.MsgRegisterProvider) { m.Models = models }),
			types.ErrInvalidProvider.ABCICode(), "10000 models: want 1 to 32"},
		{"100 kB dispute reason", &types.MsgDisputeJob{Client: owner.Addr.String(), JobId: 1, Reason: strings.Repeat("r", 100_000)},
			types.ErrInvalidJob.ABCICode(), "reason has 100000 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bz := signedTx(t, c, tc.msg)
			res, err := c.App.CheckTx(&abci.RequestCheckTx{Tx: bz, Type: abci.CheckTxType_New})
			if err != nil {
				t.Fatal(err)
			}
			if res.Code != tc.code || res.Codespace != types.ModuleName || !strings.Contains(res.Log, tc.log) {
				t.Fatalf("CheckTx code %d/%s %q, want %d/%s containing %q", res.Code, res.Codespace, res.Log, tc.code, types.ModuleName, tc.log)
			}
			before := c.App.BankKeeper.GetBalance(c.Context(), owner.Addr, app.BondDenom)
			block := c.NextBlock(bz)
			if got := block.TxResults[0]; got.Code != tc.code {
				t.Fatalf("in a block: code %d %q, want %d", got.Code, got.Log, tc.code)
			}
			if after := c.App.BankKeeper.GetBalance(c.Context(), owner.Addr, app.BondDenom); !after.Equal(before) {
				t.Fatalf("balance %s → %s: a fee was charged", before, after)
			}
		})
	}

	// The same message within the bounds passes CheckTx.
	res, err := c.App.CheckTx(&abci.RequestCheckTx{Tx: signedTx(t, c, register(func(*types.MsgRegisterProvider) {})), Type: abci.CheckTxType_New})
	if err != nil || res.Code != 0 {
		t.Fatalf("valid registration: %v %d %s", err, res.Code, res.Log)
	}
}
