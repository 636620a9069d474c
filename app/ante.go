package app

import (
	"context"
	"errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/auth/ante"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	txsigning "github.com/cosmos/cosmos-sdk/x/tx/signing"

	"github.com/aitbc/chain/app/sigcache"
	poaante "github.com/aitbc/chain/x/poa/ante"
)

// AnteOptions are the keepers and handlers the ante chain needs.
type AnteOptions struct {
	AccountKeeper   ante.AccountKeeper
	BankKeeper      authtypes.BankKeeper
	FeegrantKeeper  ante.FeegrantKeeper
	SignModeHandler *txsigning.HandlerMap
	PoaKeeper       poaante.ModeKeeper
	// SigCache holds signatures this node has verified; nil verifies every time.
	SigCache *sigcache.Cache
	// LastBlockHeight is the chain's last committed height (the app's
	// LastBlockHeight); it tells genesis from a restarted node.
	LastBlockHeight func() int64
}

// NewAnteHandler returns the chain of checks every transaction passes before
// its messages run. x/poa's gate rejects staking messages the consensus mode
// does not allow, also inside authz MsgExec. Fees are checked against the node's minimum gas prices
// (app.toml `minimum-gas-prices`, DefaultMinGasPrices unless changed) during
// CheckTx, so an underpaying transaction never enters this node's mempool.
func NewAnteHandler(opts AnteOptions) (sdk.AnteHandler, error) {
	switch {
	case opts.AccountKeeper == nil:
		return nil, errors.New("ante: account keeper is required")
	case opts.BankKeeper == nil:
		return nil, errors.New("ante: bank keeper is required")
	case opts.SignModeHandler == nil:
		return nil, errors.New("ante: sign mode handler is required")
	case opts.PoaKeeper == nil:
		return nil, errors.New("ante: x/poa keeper is required")
	case opts.LastBlockHeight == nil:
		return nil, errors.New("ante: the last block height is required")
	}
	return sdk.ChainAnteDecorators(
		// Before everything that reads the height: the gas meter, fees, timeouts, signatures.
		checkHeightDecorator{lastBlockHeight: opts.LastBlockHeight},
		ante.NewSetUpContextDecorator(), // sets the gas meter
		ante.NewExtensionOptionsDecorator(nil),
		ante.NewValidateBasicDecorator(),
		NewMsgLimitsDecorator(), // before fees: see app/ante_limits.go
		// Before fees: a staking message the consensus mode forbids costs nothing and enters no mempool.
		poaante.NewStakingGate(opts.PoaKeeper),
		ante.NewTxTimeoutHeightDecorator(),
		ante.NewValidateMemoDecorator(opts.AccountKeeper),
		ante.NewConsumeGasForTxSizeDecorator(opts.AccountKeeper),
		// nil fee checker = the SDK's check against the validator's minimum gas prices.
		ante.NewDeductFeeDecorator(opts.AccountKeeper, opts.BankKeeper, opts.FeegrantKeeper, nil),
		ante.NewSetPubKeyDecorator(opts.AccountKeeper), // before any signature check
		ante.NewValidateSigCountDecorator(opts.AccountKeeper),
		ante.NewSigGasConsumeDecorator(opts.AccountKeeper, ante.DefaultSigVerificationGasConsumer),
		sigVerification(opts),
		ante.NewIncrementSequenceDecorator(opts.AccountKeeper),
	), nil
}

// checkHeightDecorator gives CheckTx (and re-checks and simulations) the
// height of the block the transaction is checked for when baseapp says 0
// over a chain that has committed blocks. After a restart baseapp's check
// state carries an empty header until the first new block commits, and the
// SDK takes height 0 for genesis: signatures are checked against account
// number 0 (as gentxs are signed), so correctly signed transactions fail with
// code 4, and gas is not metered. Genesis is a chain with no committed block.
// FinalizeBlock contexts carry their block's height and never take this path.
type checkHeightDecorator struct{ lastBlockHeight func() int64 }

func (d checkHeightDecorator) AnteHandle(ctx sdk.Context, tx sdk.Tx, simulate bool, next sdk.AnteHandler) (sdk.Context, error) {
	if ctx.IsCheckTx() && ctx.BlockHeight() == 0 {
		if last := d.lastBlockHeight(); last > 0 {
			info := ctx.HeaderInfo()
			info.Height = last + 1
			ctx = ctx.WithBlockHeight(last + 1).WithHeaderInfo(info)
		}
	}
	return next(ctx, tx, simulate)
}

// sigVerification is the SDK's signature check, answered from the node's
// cache of verified signatures when there is one.
func sigVerification(opts AnteOptions) sdk.AnteDecorator {
	if opts.SigCache == nil {
		return ante.NewSigVerificationDecorator(opts.AccountKeeper, opts.SignModeHandler)
	}
	return sigcache.NewSigVerificationDecorator(opts.AccountKeeper, opts.SignModeHandler, opts.SigCache)
}

// virtualFeeBank is the bank keeper the fee decorator pays through. Fees for
// the fee collector are parked in x/bank's per-transaction object store and
// credited to the fee collector once, in x/bank's EndBlock, instead of every
// transaction writing the fee collector's balance. That one shared balance
// would otherwise make every pair of transactions in a block conflict under
// Block-STM. Nothing reads the fee collector between a transaction and the
// end of its block: x/distribution pays the fees out in the next BeginBlock.
type virtualFeeBank struct {
	bankkeeper.BaseKeeper
}

func (b virtualFeeBank) SendCoinsFromAccountToModule(ctx context.Context, from sdk.AccAddress, module string, amt sdk.Coins) error {
	if module == authtypes.FeeCollectorName {
		return b.SendCoinsFromAccountToModuleVirtual(ctx, from, module, amt)
	}
	return b.BaseKeeper.SendCoinsFromAccountToModule(ctx, from, module, amt)
}
