package sigcache_test

import (
	"math/rand"
	"strings"
	"testing"

	sdkmath "cosmossdk.io/math"

	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/app/apptesting"
)

// send signs a bank send of 1uait from account from to account to.
func send(t *testing.T, c *apptesting.Chain, chainID string, from, to int, seq uint64) []byte {
	t.Helper()
	acc := c.App.AccountKeeper.GetAccount(c.Context(), c.Accounts[from].Addr)
	msg := banktypes.NewMsgSend(c.Accounts[from].Addr, c.Accounts[to].Addr, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
	fee := sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(5000)))
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(1)), c.App.TxConfig(), []sdk.Msg{msg}, fee, 200_000,
		chainID, []uint64{acc.GetAccountNumber()}, []uint64{seq}, c.Accounts[from].Key)
	if err != nil {
		t.Fatal(err)
	}
	bz, err := c.App.TxConfig().TxEncoder()(tx)
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

// A signature verified in CheckTx is not verified again in FinalizeBlock, and
// the block's result is the same as without the cache.
func TestVerifiedInCheckTxHitsInFinalizeBlock(t *testing.T) {
	c := apptesting.New(t, apptesting.Options{})
	tx := send(t, c, apptesting.ChainID, 0, 1, 0)
	if res := c.CheckTx(tx); res.Code != 0 {
		t.Fatalf("CheckTx: code %d: %s", res.Code, res.Log)
	}
	hits0, misses0 := c.App.SigCache.Stats()
	if misses0 == 0 || c.App.SigCache.Len() != 1 {
		t.Fatalf("after CheckTx: %d misses, %d held; want ≥1 miss and 1 held", misses0, c.App.SigCache.Len())
	}
	res := c.NextBlock(tx)
	if code := res.TxResults[0].Code; code != 0 {
		t.Fatalf("FinalizeBlock: code %d: %s", code, res.TxResults[0].Log)
	}
	if hits, _ := c.App.SigCache.Stats(); hits <= hits0 {
		t.Fatalf("FinalizeBlock did not use the verified signature (hits %d → %d)", hits0, hits)
	}
}

// Bad signatures fail with the SDK's error and code, and are never cached.
func TestBadSignaturesFailAndAreNotCached(t *testing.T) {
	c := apptesting.New(t, apptesting.Options{})

	bad := tamper(t, c, send(t, c, apptesting.ChainID, 0, 1, 0))
	wrongChain := send(t, c, "another-chain-1", 0, 1, 0)

	for name, tx := range map[string][]byte{"tampered signature": bad, "other chain id": wrongChain} {
		res := c.CheckTx(tx)
		if res.Code != sdkerrors.ErrUnauthorized.ABCICode() || !strings.Contains(res.Log, "signature verification failed") {
			t.Errorf("%s: CheckTx code %d (%s), want %d and a signature error", name, res.Code, res.Log, sdkerrors.ErrUnauthorized.ABCICode())
		}
		block := c.NextBlock(tx)
		if code := block.TxResults[0].Code; code != sdkerrors.ErrUnauthorized.ABCICode() {
			t.Errorf("%s: FinalizeBlock code %d, want %d", name, code, sdkerrors.ErrUnauthorized.ABCICode())
		}
	}
	if n := c.App.SigCache.Len(); n != 0 {
		t.Fatalf("%d failed signatures were cached", n)
	}
}

// A wrong sequence is reported as the SDK reports it (code 32), before any
// signature is looked at, cached or not.
func TestSequenceCheckedBeforeSignature(t *testing.T) {
	c := apptesting.New(t, apptesting.Options{})
	tx := send(t, c, apptesting.ChainID, 0, 1, 7)
	if res := c.CheckTx(tx); res.Code != sdkerrors.ErrWrongSequence.ABCICode() {
		t.Fatalf("CheckTx code %d (%s), want %d", res.Code, res.Log, sdkerrors.ErrWrongSequence.ABCICode())
	}
}

// tamper flips one bit of tx's signature.
func tamper(t *testing.T, c *apptesting.Chain, tx []byte) []byte {
	t.Helper()
	decoded, err := c.App.TxConfig().TxDecoder()(tx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.App.TxConfig().WrapTxBuilder(decoded)
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := b.GetTx().GetSignaturesV2()
	if err != nil {
		t.Fatal(err)
	}
	data := sigs[0].Data.(*signing.SingleSignatureData)
	data.Signature = append([]byte(nil), data.Signature...)
	data.Signature[5] ^= 0x01
	if err := b.SetSignatures(sigs...); err != nil {
		t.Fatal(err)
	}
	bz, err := c.App.TxConfig().TxEncoder()(b.GetTx())
	if err != nil {
		t.Fatal(err)
	}
	return bz
}
