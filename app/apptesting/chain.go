// Package apptesting runs the real AITBC app in memory for keeper and
// app-level tests: a genesis with validators of chosen powers and funded
// accounts, blocks executed through FinalizeBlock and Commit, and contexts
// for calling keepers and message servers directly.
package apptesting

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log/v2"
	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/baseapp"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/app"
	poatypes "github.com/aitbc/chain/x/poa/types"
)

// ChainID is the chain id of every in-memory test chain.
const ChainID = "ait-unittest-1"

// GenesisTime is the fixed time of block 0; block h is h seconds later.
var GenesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// AccountBalance is what each test account holds at genesis (uait).
var AccountBalance = sdkmath.NewInt(1_000_000_000_000)

// Options shape the genesis.
type Options struct {
	ValidatorPowers []int64         // one bonded validator per entry; default {100, 100, 100}
	Accounts        int             // funded user accounts; default 3
	Poa             poatypes.Params // x/poa params; default poatypes.DefaultParams()
}

// Validator is a genesis validator's keys.
type Validator struct {
	ConsKey     cryptotypes.PrivKey
	OperatorKey cryptotypes.PrivKey
	Operator    sdk.AccAddress
	ValAddr     sdk.ValAddress
}

// Account is a funded user account.
type Account struct {
	Key  cryptotypes.PrivKey
	Addr sdk.AccAddress
}

// Chain is an in-memory AITBC chain.
type Chain struct {
	T          testing.TB
	App        *app.App
	Validators []Validator
	Accounts   []Account
	Height     int64 // last committed height
	db         dbm.DB
}

// New creates a chain from Options and commits block 1.
func New(t testing.TB, opts Options) *Chain {
	t.Helper()
	if opts.ValidatorPowers == nil {
		opts.ValidatorPowers = []int64{100, 100, 100}
	}
	if opts.Accounts == 0 {
		opts.Accounts = 3
	}
	if opts.Poa.Mode == poatypes.ModeUnspecified {
		opts.Poa = poatypes.DefaultParams()
	}
	db := dbm.NewMemDB()
	c := &Chain{T: t, App: newApp(db), db: db}
	for i := range opts.ValidatorPowers {
		opKey := secp256k1.GenPrivKeyFromSecret([]byte(fmt.Sprintf("operator-%d", i)))
		op := sdk.AccAddress(opKey.PubKey().Address())
		c.Validators = append(c.Validators, Validator{
			ConsKey:     ed25519.GenPrivKeyFromSecret([]byte(fmt.Sprintf("consensus-%d", i))),
			OperatorKey: opKey, Operator: op, ValAddr: sdk.ValAddress(op),
		})
	}
	for i := 0; i < opts.Accounts; i++ {
		key := secp256k1.GenPrivKeyFromSecret([]byte(fmt.Sprintf("account-%d", i)))
		c.Accounts = append(c.Accounts, Account{Key: key, Addr: sdk.AccAddress(key.PubKey().Address())})
	}

	appState, err := json.Marshal(c.genesis(opts))
	if err != nil {
		t.Fatal(err)
	}
	params := app.DefaultConsensusParams().ToProto()
	if _, err := c.App.InitChain(&abci.RequestInitChain{
		ChainId: ChainID, Time: GenesisTime, ConsensusParams: &params, AppStateBytes: appState, InitialHeight: 1,
	}); err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	c.NextBlock()
	return c
}

// NewApp returns a fresh app over an in-memory database.
func NewApp(t testing.TB) *app.App {
	t.Helper()
	return newApp(dbm.NewMemDB())
}

func newApp(db dbm.DB) *app.App {
	return app.New(log.NewNopLogger(), db, true, simtestutil.EmptyAppOptions{}, baseapp.SetChainID(ChainID))
}

// Restart replaces the app by a new one loaded from the same database, as
// a node restart (or kill -9) does: the committed state stays, everything
// held in memory (check state, caches) starts over.
func (c *Chain) Restart() {
	c.App = newApp(c.db)
}

func (c *Chain) genesis(opts Options) map[string]json.RawMessage {
	cdc := c.App.AppCodec()
	state := c.App.DefaultGenesis()
	reduction := sdk.DefaultPowerReduction

	var accounts []authtypes.GenesisAccount
	var balances []banktypes.Balance
	supply := sdk.NewCoins()
	fund := func(addr sdk.AccAddress, amount sdkmath.Int) {
		accounts = append(accounts, authtypes.NewBaseAccount(addr, nil, uint64(len(accounts)), 0))
		coins := sdk.NewCoins(sdk.NewCoin(app.BondDenom, amount))
		balances = append(balances, banktypes.Balance{Address: addr.String(), Coins: coins})
		supply = supply.Add(coins...)
	}

	var validators []stakingtypes.Validator
	var delegations []stakingtypes.Delegation
	bonded := sdkmath.ZeroInt()
	for i, v := range c.Validators {
		fund(v.Operator, AccountBalance)
		tokens := reduction.MulRaw(opts.ValidatorPowers[i])
		pkAny, err := codectypes.NewAnyWithValue(v.ConsKey.PubKey())
		if err != nil {
			c.T.Fatal(err)
		}
		validators = append(validators, stakingtypes.Validator{
			OperatorAddress:   v.ValAddr.String(),
			ConsensusPubkey:   pkAny,
			Status:            stakingtypes.Bonded,
			Tokens:            tokens,
			DelegatorShares:   sdkmath.LegacyNewDecFromInt(tokens),
			Description:       stakingtypes.NewDescription(fmt.Sprintf("validator-%d", i), "", "", "", ""),
			UnbondingTime:     time.Unix(0, 0).UTC(),
			Commission:        stakingtypes.NewCommission(sdkmath.LegacyZeroDec(), sdkmath.LegacyOneDec(), sdkmath.LegacyZeroDec()),
			MinSelfDelegation: sdkmath.OneInt(),
		})
		delegations = append(delegations, stakingtypes.NewDelegation(v.Operator.String(), v.ValAddr.String(), sdkmath.LegacyNewDecFromInt(tokens)))
		bonded = bonded.Add(tokens)
	}
	for _, a := range c.Accounts {
		fund(a.Addr, AccountBalance)
	}
	bondedPool := sdk.NewCoins(sdk.NewCoin(app.BondDenom, bonded))
	balances = append(balances, banktypes.Balance{Address: authtypes.NewModuleAddress(stakingtypes.BondedPoolName).String(), Coins: bondedPool})
	supply = supply.Add(bondedPool...)

	state[authtypes.ModuleName] = cdc.MustMarshalJSON(authtypes.NewGenesisState(authtypes.DefaultParams(), accounts))
	stakingParams := stakingtypes.DefaultParams()
	state[stakingtypes.ModuleName] = cdc.MustMarshalJSON(stakingtypes.NewGenesisState(stakingParams, validators, delegations))
	var bankGenesis banktypes.GenesisState
	cdc.MustUnmarshalJSON(state[banktypes.ModuleName], &bankGenesis)
	bankGenesis.Balances, bankGenesis.Supply = balances, supply
	state[banktypes.ModuleName] = cdc.MustMarshalJSON(&bankGenesis)
	poaGenesis := poatypes.DefaultGenesis()
	poaGenesis.Params = opts.Poa
	state[poatypes.ModuleName] = cdc.MustMarshalJSON(poaGenesis)
	return state
}

// NextBlock executes and commits the next block with txs and returns its result.
func (c *Chain) NextBlock(txs ...[]byte) *abci.ResponseFinalizeBlock {
	c.T.Helper()
	h := c.Height + 1
	res, err := c.App.FinalizeBlock(&abci.RequestFinalizeBlock{
		Height: h, Time: GenesisTime.Add(time.Duration(h) * time.Second), Txs: txs,
		ProposerAddress: c.Validators[0].ConsKey.PubKey().Address(),
	})
	if err != nil {
		c.T.Fatalf("FinalizeBlock %d: %v", h, err)
	}
	if _, err := c.App.Commit(); err != nil {
		c.T.Fatalf("Commit %d: %v", h, err)
	}
	c.Height = h
	return res
}

// Context returns a context for the next block over the committed state.
// Writes to it are discarded unless the test calls EndBlock with it.
func (c *Chain) Context() sdk.Context {
	h := c.Height + 1
	params := app.DefaultConsensusParams().ToProto()
	header := cmtproto.Header{ChainID: ChainID, Height: h, Time: GenesisTime.Add(time.Duration(h) * time.Second)}
	return c.App.NewNextBlockContext(header).WithConsensusParams(params).WithBlockHeight(h)
}

// EndBlock runs every module's end-block logic on ctx (x/poa, then x/staking's
// validator updates) and returns a context for the following block on the
// same uncommitted state, and the validator updates CometBFT would receive.
func (c *Chain) EndBlock(ctx sdk.Context) (sdk.Context, []abci.ValidatorUpdate) {
	c.T.Helper()
	res, err := c.App.EndBlocker(ctx)
	if err != nil {
		c.T.Fatalf("EndBlock at %d: %v", ctx.BlockHeight(), err)
	}
	next := ctx.WithBlockHeight(ctx.BlockHeight() + 1).WithBlockTime(ctx.BlockTime().Add(time.Second))
	return next.WithEventManager(sdk.NewEventManager()), res.ValidatorUpdates
}

// SignTx signs msgs by from at sequence seq (its real account number, a
// 5000uait fee, the given gas) and encodes the transaction.
func (c *Chain) SignTx(from Account, seq, gas uint64, msgs ...sdk.Msg) []byte {
	c.T.Helper()
	acc := c.App.AccountKeeper.GetAccount(c.Context(), from.Addr)
	fee := sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(5000)))
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(int64(seq))), c.App.TxConfig(), msgs, fee, gas,
		ChainID, []uint64{acc.GetAccountNumber()}, []uint64{seq}, from.Key)
	if err != nil {
		c.T.Fatal(err)
	}
	bz, err := c.App.TxConfig().TxEncoder()(tx)
	if err != nil {
		c.T.Fatal(err)
	}
	return bz
}

// CheckTx runs a new transaction through CheckTx.
func (c *Chain) CheckTx(tx []byte) *abci.ResponseCheckTx {
	c.T.Helper()
	res, err := c.App.CheckTx(&abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New})
	if err != nil {
		c.T.Fatal(err)
	}
	return res
}
