package app_test

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log/v2"
	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/cosmos/cosmos-sdk/server"
	"github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aitbc/chain/app"
)

const testChainID = "ait-apptest-1"

var genesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fixture is a genesis with one validator and a few funded accounts, all
// derived from fixed secrets so every run builds the same chain.
type fixture struct {
	appState []byte
	valSet   *cmttypes.ValidatorSet
	keys     []cryptotypes.PrivKey
	accounts []sdk.AccAddress
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	a := newApp(t)
	val := cmttypes.NewValidator(cmted25519.GenPrivKeyFromSecret([]byte("validator")).PubKey(), 1)
	f := fixture{valSet: cmttypes.NewValidatorSet([]*cmttypes.Validator{val})}

	var genAccs []authtypes.GenesisAccount
	var balances []banktypes.Balance
	for i, secret := range []string{"alice", "bob", "carol"} {
		key := secp256k1.GenPrivKeyFromSecret([]byte(secret))
		addr := sdk.AccAddress(key.PubKey().Address())
		f.keys, f.accounts = append(f.keys, key), append(f.accounts, addr)
		genAccs = append(genAccs, authtypes.NewBaseAccount(addr, nil, uint64(i), 0))
		balances = append(balances, banktypes.Balance{
			Address: addr.String(),
			Coins:   sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(10_000_000_000))),
		})
	}
	state, err := simtestutil.GenesisStateWithValSet(a.AppCodec(), a.DefaultGenesis(), f.valSet, genAccs, balances...)
	if err != nil {
		t.Fatal(err)
	}
	if f.appState, err = json.Marshal(state); err != nil {
		t.Fatal(err)
	}
	return f
}

func newApp(t *testing.T) *app.App {
	t.Helper()
	return app.New(log.NewNopLogger(), dbm.NewMemDB(), true, simtestutil.EmptyAppOptions{}, baseapp.SetChainID(testChainID))
}

// newAppWithExecutor builds the app with app.toml's block-executor and block-stm-workers set.
func newAppWithExecutor(t *testing.T, executor string, workers int) *app.App {
	t.Helper()
	opts := simtestutil.AppOptionsMap{server.FlagBlockExecutor: executor, server.FlagBlockSTMWorkers: workers}
	return app.New(log.NewNopLogger(), dbm.NewMemDB(), true, opts, baseapp.SetChainID(testChainID))
}

// initChain runs InitChain from an app state, at initialHeight, with vals.
func initChain(t *testing.T, a *app.App, appState []byte, initialHeight int64, vals []abci.ValidatorUpdate) {
	t.Helper()
	params := app.DefaultConsensusParams().ToProto()
	_, err := a.InitChain(&abci.RequestInitChain{
		ChainId:         testChainID,
		Time:            genesisTime,
		ConsensusParams: &params,
		AppStateBytes:   appState,
		InitialHeight:   initialHeight,
		Validators:      vals,
	})
	if err != nil {
		t.Fatalf("InitChain: %v", err)
	}
}

// finalize executes and commits block height with txs and returns the app hash
// and each transaction's result code.
func finalize(t *testing.T, a *app.App, f fixture, height int64, txs [][]byte) ([]byte, []uint32) {
	t.Helper()
	res, err := a.FinalizeBlock(&abci.RequestFinalizeBlock{
		Height:          height,
		Time:            genesisTime.Add(time.Duration(height) * time.Second),
		Txs:             txs,
		ProposerAddress: f.valSet.Validators[0].Address,
	})
	if err != nil {
		t.Fatalf("FinalizeBlock %d: %v", height, err)
	}
	if _, err := a.Commit(); err != nil {
		t.Fatalf("Commit %d: %v", height, err)
	}
	codes := make([]uint32, len(res.TxResults))
	for i, r := range res.TxResults {
		codes[i] = r.Code
	}
	return res.AppHash, codes
}

// transfers returns signed bank sends for blocks 1..blocks: alice pays bob and
// carol, one transfer per block overdraws carol's account and must fail, and
// bob, who receives in the same block, pays alice and carol, so transactions
// of one block read what earlier ones wrote.
func transfers(t *testing.T, f fixture, blocks int) [][][]byte {
	t.Helper()
	enc := app.MakeEncodingConfig()
	r := rand.New(rand.NewSource(42))
	seq := make([]uint64, len(f.keys))
	fee := sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(5000)))
	sign := func(from, to int, amount int64) []byte {
		msg := banktypes.NewMsgSend(f.accounts[from], f.accounts[to], sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(amount))))
		tx, err := simtestutil.GenSignedMockTx(r, enc.TxConfig, []sdk.Msg{msg}, fee, 200_000, testChainID,
			[]uint64{uint64(from)}, []uint64{seq[from]}, f.keys[from])
		if err != nil {
			t.Fatal(err)
		}
		seq[from]++
		bz, err := enc.TxConfig.TxEncoder()(tx)
		if err != nil {
			t.Fatal(err)
		}
		return bz
	}
	out := make([][][]byte, blocks)
	for b := range out {
		out[b] = [][]byte{
			sign(0, 1, int64(1000+b)),
			sign(0, 2, 77),
			sign(2, 1, 1_000_000_000_000), // more than carol has
			sign(1, 0, 500),
			sign(1, 2, 300),
		}
	}
	return out
}

// TestDeterministicReplay feeds the same genesis and blocks to fresh app
// instances — the sequential executor, and Block-STM with 2 and 8 workers —
// and requires the same app hash and tx results after every block, and every
// fee of the block in the fee collector once the block has ended.
func TestDeterministicReplay(t *testing.T) {
	f := newFixture(t)
	blocks := transfers(t, f, 5)
	apps := []*app.App{
		newAppWithExecutor(t, config.BlockExecutorSequential, 0),
		newAppWithExecutor(t, config.BlockExecutorBlockSTM, 2),
		newAppWithExecutor(t, config.BlockExecutorBlockSTM, 8),
	}
	for _, a := range apps {
		initChain(t, a, f.appState, 1, nil)
	}
	want := []uint32{0, 0, 5, 0, 0} // 5 = insufficient funds
	for i, txs := range blocks {
		h := int64(i + 1)
		var hash0 []byte
		for k, a := range apps {
			hash, codes := finalize(t, a, f, h, txs)
			if k == 0 {
				hash0 = hash
			} else if !bytes.Equal(hash, hash0) {
				t.Fatalf("block %d: app %d's hash %X differs from the sequential executor's %X", h, k, hash, hash0)
			}
			for j := range want {
				if codes[j] != want[j] {
					t.Fatalf("block %d app %d tx %d: code %d, want %d", h, k, j, codes[j], want[j])
				}
			}
			// Every transaction paid 5000uait, the failed one included; fees are
			// credited in EndBlock and paid out by the next block's BeginBlock
			// (from block 2 on: x/distribution leaves block 1's minted coins).
			if h < 2 {
				continue
			}
			ctx := a.NewUncachedContext(false, cmtproto.Header{Height: h})
			feeCollector := a.AccountKeeper.GetModuleAddress(authtypes.FeeCollectorName)
			if got := a.BankKeeper.GetBalance(ctx, feeCollector, app.BondDenom); !got.Amount.Equal(sdkmath.NewInt(5000 * int64(len(txs)))) {
				t.Fatalf("block %d app %d: fee collector holds %s, want %duait", h, k, got, 5000*len(txs))
			}
		}
	}
}

// TestExportImportRoundTrip exports a chain that has run blocks, imports the
// export into fresh apps and checks that:
//   - two imports of the same export reach the same app hash on the next block;
//   - an imported chain and the original, fed the same next block, export
//     byte-identical genesis files (nothing is lost or altered by the round trip).
//
// App hashes of the original and the import differ by design: IAVL hashes
// include the version at which each node was written, and an import writes
// the whole state at one version.
func TestExportImportRoundTrip(t *testing.T) {
	f := newFixture(t)
	blocks := transfers(t, f, 4)
	original := newApp(t)
	initChain(t, original, f.appState, 1, nil)
	for i, txs := range blocks[:3] {
		finalize(t, original, f, int64(i+1), txs)
	}

	exported, err := original.ExportAppStateAndValidators(false, nil, nil)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	if exported.Height != 4 {
		t.Fatalf("exported height %d, want 4", exported.Height)
	}

	importInto := func(exp servertypes.ExportedApp) *app.App {
		a := newApp(t)
		var vals []abci.ValidatorUpdate
		for _, v := range exp.Validators {
			vals = append(vals, cmttypes.TM2PB.NewValidatorUpdate(v.PubKey, v.Power))
		}
		initChain(t, a, exp.AppState, exp.Height, vals)
		return a
	}
	imported, again := importInto(exported), importInto(exported)

	next := blocks[3]
	hashImported, codes := finalize(t, imported, f, 4, next)
	hashAgain, _ := finalize(t, again, f, 4, next)
	finalize(t, original, f, 4, next)
	if !bytes.Equal(hashImported, hashAgain) {
		t.Fatalf("two imports of one export diverged: %X vs %X", hashImported, hashAgain)
	}
	if codes[0] != 0 || codes[1] != 0 {
		t.Fatalf("transfers after import failed: codes %v (sequences or balances lost?)", codes)
	}

	fromOriginal, err := original.ExportAppStateAndValidators(false, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	fromImported, err := imported.ExportAppStateAndValidators(false, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fromOriginal.AppState, fromImported.AppState) {
		t.Fatalf("original and imported chains export different states:\n%s", firstDiff(fromOriginal.AppState, fromImported.AppState))
	}
}

// TestZeroHeightExport exports for a restart at height zero and imports it.
func TestZeroHeightExport(t *testing.T) {
	f := newFixture(t)
	original := newApp(t)
	initChain(t, original, f.appState, 1, nil)
	for i, txs := range transfers(t, f, 3) {
		finalize(t, original, f, int64(i+1), txs)
	}
	exported, err := original.ExportAppStateAndValidators(true, nil, nil)
	if err != nil {
		t.Fatalf("zero-height export: %v", err)
	}
	if exported.Height != 0 {
		t.Fatalf("zero-height export at height %d", exported.Height)
	}
	imported := newApp(t)
	var vals []abci.ValidatorUpdate
	for _, v := range exported.Validators {
		vals = append(vals, cmttypes.TM2PB.NewValidatorUpdate(v.PubKey, v.Power))
	}
	initChain(t, imported, exported.AppState, 1, vals)
	finalize(t, imported, f, 1, nil)
}

// firstDiff shows where two JSON documents first differ.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-200)
	return "original: …" + string(a[lo:min(len(a), i+200)]) + "\nimported: …" + string(b[lo:min(len(b), i+200)])
}
