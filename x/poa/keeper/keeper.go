// Package keeper holds x/poa's state and logic: who may manage validators,
// the HYBRID allow-list, and the queue of power changes applied within the
// per-block cap. All validator power lives in x/staking; x/poa changes it by
// minting and delegating, or unbonding and burning, its own stake.
package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/store"
	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"

	"github.com/aitbc/chain/x/poa/types"
)

// BankKeeper is the part of x/bank x/poa uses: minting and burning its stake.
type BankKeeper interface {
	MintCoins(ctx context.Context, moduleName string, amt sdk.Coins) error
	BurnCoins(ctx context.Context, moduleName string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipientAddr sdk.AccAddress, amt sdk.Coins) error
}

// AccountKeeper is the part of x/auth x/poa uses.
type AccountKeeper interface {
	GetModuleAddress(moduleName string) sdk.AccAddress
}

// SlashingKeeper is the part of x/slashing x/poa uses: a consensus key
// tombstoned for double signing never becomes a validator's key again.
type SlashingKeeper interface {
	IsTombstoned(ctx context.Context, consAddr sdk.ConsAddress) bool
}

// Keeper is x/poa's keeper.
type Keeper struct {
	cdc          codec.BinaryCodec
	storeService store.KVStoreService
	// authority is the governance module account: it alone changes params.
	authority string

	accountKeeper AccountKeeper
	bankKeeper    BankKeeper
	staking       *stakingkeeper.Keeper
	slashing      SlashingKeeper

	Schema       collections.Schema
	Params       collections.Item[types.Params]
	AllowList    collections.KeySet[sdk.AccAddress]
	Pending      collections.Map[uint64, types.PendingChange]
	PendingByVal collections.Map[sdk.ValAddress, uint64]
	NextSequence collections.Sequence
	// PowerIncreases is what bonding raised each validator's power by in
	// the current block, keyed (height, validator); EndBlock empties it.
	PowerIncreases collections.Map[collections.Pair[int64, sdk.ValAddress], int64]
}

// NewKeeper builds the keeper. authority must be the governance module address.
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, authority string,
	ak AccountKeeper, bk BankKeeper, sk *stakingkeeper.Keeper, slk SlashingKeeper,
) Keeper {
	if _, err := sdk.AccAddressFromBech32(authority); err != nil {
		panic(fmt.Errorf("x/poa authority %q: %w", authority, err))
	}
	if ak.GetModuleAddress(types.ModuleName) == nil {
		panic("x/poa module account has not been set")
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		cdc:           cdc,
		storeService:  storeService,
		authority:     authority,
		accountKeeper: ak,
		bankKeeper:    bk,
		staking:       sk,
		slashing:      slk,
		Params:        collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		AllowList:     collections.NewKeySet(sb, types.AllowListPrefix, "allow_list", sdk.AccAddressKey),
		Pending:       collections.NewMap(sb, types.PendingPrefix, "pending", collections.Uint64Key, codec.CollValue[types.PendingChange](cdc)),
		PendingByVal:  collections.NewMap(sb, types.PendingByValidPrefix, "pending_by_validator", sdk.ValAddressKey, collections.Uint64Value),
		NextSequence:  collections.NewSequence(sb, types.NextSequenceKey, "next_sequence"),
		PowerIncreases: collections.NewMap(sb, types.PowerIncreasePrefix, "power_increases",
			collections.PairKeyCodec(collections.Int64Key, sdk.ValAddressKey), collections.Int64Value),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// Authority returns the governance module address.
func (k Keeper) Authority() string { return k.authority }

// ModuleAddress is the account that holds and delegates x/poa's stake.
func (k Keeper) ModuleAddress() sdk.AccAddress {
	return k.accountKeeper.GetModuleAddress(types.ModuleName)
}

// Mode returns the current consensus mode.
func (k Keeper) Mode(ctx context.Context) (types.Mode, error) {
	p, err := k.Params.Get(ctx)
	return p.Mode, err
}

// BondDenom is the staking denom, which the power-increase budget counts.
func (k Keeper) BondDenom(ctx context.Context) (string, error) { return k.staking.BondDenom(ctx) }

// IsAllowListed reports whether an account may bond stake in HYBRID mode.
func (k Keeper) IsAllowListed(ctx context.Context, addr sdk.AccAddress) (bool, error) {
	return k.AllowList.Has(ctx, addr)
}

// checkManager accepts governance and, when set, params.admin.
func (k Keeper) checkManager(ctx context.Context, signer string) (types.Params, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return params, err
	}
	if signer != k.authority && (params.Admin == "" || signer != params.Admin) {
		return params, types.ErrUnauthorized.Wrapf("%s may not manage validators; governance (%s)%s may", signer, k.authority, adminNote(params))
	}
	return params, nil
}

func adminNote(p types.Params) string {
	if p.Admin == "" {
		return ""
	}
	return " or the admin " + p.Admin
}

// queueChange sets (or replaces) a validator's power target.
func (k Keeper) queueChange(ctx context.Context, val sdk.ValAddress, target int64) (uint64, error) {
	seq, err := k.PendingByVal.Get(ctx, val)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		if seq, err = k.NextSequence.Next(ctx); err != nil {
			return 0, err
		}
		if err := k.PendingByVal.Set(ctx, val, seq); err != nil {
			return 0, err
		}
	case err != nil:
		return 0, err
	}
	valStr, err := k.staking.ValidatorAddressCodec().BytesToString(val)
	if err != nil {
		return 0, err
	}
	change := types.PendingChange{Sequence: seq, ValidatorAddress: valStr, TargetPower: target}
	if err := k.Pending.Set(ctx, seq, change); err != nil {
		return 0, err
	}
	return seq, sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(&types.EventPowerChangeQueued{
		ValidatorAddress: valStr, TargetPower: target, Sequence: seq,
	})
}

func (k Keeper) dropChange(ctx context.Context, change types.PendingChange) error {
	val, err := k.staking.ValidatorAddressCodec().StringToBytes(change.ValidatorAddress)
	if err != nil {
		return err
	}
	if err := k.Pending.Remove(ctx, change.Sequence); err != nil {
		return err
	}
	return k.PendingByVal.Remove(ctx, val)
}

// Logger returns the module's logger.
func (k Keeper) Logger(ctx context.Context) log.Logger {
	return sdk.UnwrapSDKContext(ctx).Logger().With("module", "x/"+types.ModuleName)
}
