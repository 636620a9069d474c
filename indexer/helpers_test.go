package indexer

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aitbc/chain/app"
)

var encoding = func() app.EncodingConfig {
	enc := app.MakeEncodingConfig()
	banktypes.RegisterInterfaces(enc.InterfaceRegistry)
	return enc
}()

var testDecoder = SDKTxDecoder(encoding.TxConfig.TxDecoder())

// testAccounts are fresh secp256k1 account addresses (ait1…).
func testAccounts(n int) []sdk.AccAddress {
	out := make([]sdk.AccAddress, n)
	for i := range out {
		out[i] = sdk.AccAddress(secp256k1.GenPrivKey().PubKey().Address())
	}
	return out
}

// sendTx encodes a real bank MsgSend transaction with the app's codec.
func sendTx(t testing.TB, from, to sdk.AccAddress, amount int64, memo string) []byte {
	t.Helper()
	b := encoding.TxConfig.NewTxBuilder()
	coins := sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(amount)))
	if err := b.SetMsgs(banktypes.NewMsgSend(from, to, coins)); err != nil {
		t.Fatal(err)
	}
	b.SetFeeAmount(sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(5000))))
	b.SetGasLimit(200_000)
	b.SetMemo(memo)
	raw, err := encoding.TxConfig.TxEncoder()(b.GetTx())
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// transferEvents are the events a bank send emits, as the SDK names them.
func transferEvents(from, to sdk.AccAddress, amount int64) []abci.Event {
	amt := fmt.Sprintf("%duait", amount)
	return []abci.Event{
		{Type: "message", Attributes: []abci.EventAttribute{{Key: "action", Value: "/cosmos.bank.v1beta1.MsgSend"}, {Key: "sender", Value: from.String()}}},
		{Type: "transfer", Attributes: []abci.EventAttribute{{Key: "recipient", Value: to.String()}, {Key: "sender", Value: from.String()}, {Key: "amount", Value: amt}}},
	}
}

// rpcBlock builds what CometBFT RPC /block and /block_results return for a
// block of the given transactions (each a send from[i] → to[i]).
func rpcBlock(t testing.TB, height int64, txs [][]byte, events [][]abci.Event, codes []uint32) (*coretypes.ResultBlock, *coretypes.ResultBlockResults) {
	t.Helper()
	hash := sha256.Sum256([]byte(fmt.Sprintf("block %d", height)))
	proposer := sha256.Sum256([]byte("proposer"))
	block := &cmttypes.Block{
		Header: cmttypes.Header{
			ChainID:         "ait-test-1",
			Height:          height,
			Time:            time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(height) * time.Second),
			ProposerAddress: proposer[:20],
			AppHash:         hash[:],
		},
	}
	results := &coretypes.ResultBlockResults{
		Height: height,
		FinalizeBlockEvents: []abci.Event{{Type: "mint", Attributes: []abci.EventAttribute{
			{Key: "amount", Value: "100uait"}, {Key: "mode", Value: "BeginBlock"}}}},
	}
	for i, raw := range txs {
		block.Data.Txs = append(block.Data.Txs, raw)
		code := uint32(0)
		if codes != nil {
			code = codes[i]
		}
		results.TxsResults = append(results.TxsResults, &abci.ExecTxResult{
			Code: code, Log: fmt.Sprintf("log %d", i), GasWanted: 200_000, GasUsed: 80_000 + int64(i), Events: events[i],
		})
	}
	return &coretypes.ResultBlock{BlockID: cmttypes.BlockID{Hash: hash[:]}, Block: block}, results
}

// sendBlock is a block of n bank sends between the given accounts.
func sendBlock(t testing.TB, height int64, accts []sdk.AccAddress, n int) *Block {
	t.Helper()
	var txs [][]byte
	var events [][]abci.Event
	for i := 0; i < n; i++ {
		from, to := accts[i%len(accts)], accts[(i+1)%len(accts)]
		txs = append(txs, sendTx(t, from, to, int64(1000+i), fmt.Sprintf("memo %d/%d", height, i)))
		events = append(events, transferEvents(from, to, int64(1000+i)))
	}
	rb, rr := rpcBlock(t, height, txs, events, nil)
	b, err := FromRPC(rb, rr, testDecoder, app.AccountAddressPrefix)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openSQLite(t testing.TB, projections ...Projection) *Store {
	t.Helper()
	target, err := ParseDatabaseURL("sqlite://"+filepath.Join(t.TempDir(), "index.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), target, projections...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func count(t testing.TB, s *Store, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := s.DB().QueryRow(s.Rebind(query), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
