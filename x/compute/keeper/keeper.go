// Package keeper holds the AI-workload market's state: providers with their
// bonds, jobs with their escrow, and the height-ordered queues that settle,
// expire and release them at the end of blocks, a bounded number per block.
package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/store"
	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aitbc/chain/x/compute/types"
)

// BankKeeper is the part of x/bank the market moves coins with.
type BankKeeper interface {
	SendCoinsFromAccountToModule(ctx context.Context, sender sdk.AccAddress, recipientModule string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipient sdk.AccAddress, amt sdk.Coins) error
	SendCoinsFromModuleToModule(ctx context.Context, senderModule, recipientModule string, amt sdk.Coins) error
	MintCoins(ctx context.Context, moduleName string, amt sdk.Coins) error
	BurnCoins(ctx context.Context, moduleName string, amt sdk.Coins) error
	GetBalance(ctx context.Context, addr sdk.AccAddress, denom string) sdk.Coin
}

// AccountKeeper is the part of x/auth the market uses.
type AccountKeeper interface {
	GetModuleAddress(moduleName string) sdk.AccAddress
}

// Keeper is x/compute's keeper.
type Keeper struct {
	cdc          codec.BinaryCodec
	storeService store.KVStoreService
	authority    string
	// denom is the coin jobs are paid and bonds are held in (uait).
	denom string
	// feeCollector receives the protocol fee; x/distribution pays it to validators and delegators.
	feeCollector string

	bank    BankKeeper
	account AccountKeeper

	Schema collections.Schema
	Params collections.Item[types.Params]
	// Providers and Jobs keep their indexes and counters themselves (indexes.go).
	Providers *collections.IndexedMap[sdk.AccAddress, types.Provider, ProviderIndexes]
	Jobs      *collections.IndexedMap[uint64, types.Job, JobIndexes]
	// JobCounts is the number of jobs in each state, kept by Jobs' state index.
	JobCounts collections.Map[int32, uint64]
	NextJobID collections.Sequence
	// Deadlines holds open and assigned jobs by deadline height.
	Deadlines collections.KeySet[collections.Pair[int64, uint64]]
	// Settlements holds delivered jobs by the height their dispute window closes.
	Settlements collections.KeySet[collections.Pair[int64, uint64]]
	// BondReleases holds deregistered providers by the height their bond is released.
	BondReleases collections.KeySet[collections.Pair[int64, sdk.AccAddress]]
	// TotalEscrow and TotalBonds are what the module account holds, kept so
	// the escrow-totals query and the invariant cost O(1).
	TotalEscrow collections.Item[sdkmath.Int]
	TotalBonds  collections.Item[sdkmath.Int]
	// MintedInBlock is the compute minting of the current block, for the per-block cap.
	MintedInBlock collections.Map[int64, sdkmath.Int]
}

// NewKeeper builds the keeper; authority is the governance module address.
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, authority, denom, feeCollector string,
	ak AccountKeeper, bk BankKeeper,
) Keeper {
	if _, err := sdk.AccAddressFromBech32(authority); err != nil {
		panic(fmt.Errorf("x/compute authority %q: %w", authority, err))
	}
	if ak.GetModuleAddress(types.ModuleName) == nil {
		panic("x/compute module account has not been set")
	}
	sb := collections.NewSchemaBuilder(storeService)
	jobCounts := collections.NewMap(sb, types.JobCountsPrefix, "job_counts", collections.Int32Key, collections.Uint64Value)
	k := Keeper{
		cdc: cdc, storeService: storeService, authority: authority, denom: denom, feeCollector: feeCollector,
		bank: bk, account: ak,
		Params:        collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		JobCounts:     jobCounts,
		NextJobID:     collections.NewSequence(sb, types.NextJobIDKey, "next_job_id"),
		Deadlines:     collections.NewKeySet(sb, types.DeadlinesPrefix, "deadlines", collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		Settlements:   collections.NewKeySet(sb, types.SettlementsPrefix, "settlements", collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		BondReleases:  collections.NewKeySet(sb, types.BondReleasesPrefix, "bond_releases", collections.PairKeyCodec(collections.Int64Key, sdk.AccAddressKey)),
		TotalEscrow:   collections.NewItem(sb, types.TotalEscrowKey, "total_escrow", sdk.IntValue),
		TotalBonds:    collections.NewItem(sb, types.TotalBondsKey, "total_bonds", sdk.IntValue),
		MintedInBlock: collections.NewMap(sb, types.MintedInBlockPrefix, "minted_in_block", collections.Int64Key, sdk.IntValue),
	}
	k.Jobs = collections.NewIndexedMap(sb, types.JobsPrefix, "jobs", collections.Uint64Key,
		codec.CollValue[types.Job](cdc), newJobIndexes(sb, &jobCounts))
	k.Providers = collections.NewIndexedMap(sb, types.ProvidersPrefix, "providers", sdk.AccAddressKey,
		codec.CollValue[types.Provider](cdc), ProviderIndexes{Count: entryCounter[sdk.AccAddress, types.Provider]{
			total: collections.NewItem(sb, types.ProviderCountKey, "provider_count", collections.Uint64Value),
			name:  "provider_count",
		}})
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// Authority returns the governance module address.
func (k Keeper) Authority() string { return k.authority }

// GetJob returns a job or ErrJobNotFound.
func (k Keeper) GetJob(ctx context.Context, id uint64) (types.Job, error) {
	job, err := k.Jobs.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return job, types.ErrJobNotFound.Wrapf("job %d", id)
	}
	return job, err
}

// GetProvider returns a provider or ErrProviderNotFound.
func (k Keeper) GetProvider(ctx context.Context, owner sdk.AccAddress) (types.Provider, error) {
	p, err := k.Providers.Get(ctx, owner)
	if errors.Is(err, collections.ErrNotFound) {
		return p, types.ErrProviderNotFound.Wrap(owner.String())
	}
	return p, err
}

// addTotal adds delta (which may be negative) to a running total.
func addTotal(ctx context.Context, item collections.Item[sdkmath.Int], delta sdkmath.Int) error {
	cur, err := item.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		cur = sdkmath.ZeroInt()
	} else if err != nil {
		return err
	}
	next := cur.Add(delta)
	if next.IsNegative() {
		return fmt.Errorf("running total would go negative: %s + %s", cur, delta)
	}
	return item.Set(ctx, next)
}

// coins is amount of the market's denom; empty for zero so no zero transfer happens.
func (k Keeper) coins(amount sdkmath.Int) sdk.Coins {
	return sdk.NewCoins(sdk.NewCoin(k.denom, amount))
}

// pay sends amount from the module to addr, doing nothing for zero.
func (k Keeper) pay(ctx context.Context, addr string, amount sdkmath.Int) error {
	if !amount.IsPositive() {
		return nil
	}
	to, err := sdk.AccAddressFromBech32(addr)
	if err != nil {
		return err
	}
	return k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, to, k.coins(amount))
}

// CheckInvariants verifies that the module account holds exactly the escrow
// of unfinished jobs plus the provider bonds, and that the running totals
// and the counters match the jobs and providers. Tests run it after every step.
func (k Keeper) CheckInvariants(ctx context.Context) error {
	escrow, bonds := sdkmath.ZeroInt(), sdkmath.ZeroInt()
	if err := k.Jobs.Walk(ctx, nil, func(_ uint64, j types.Job) (bool, error) {
		if j.State.Escrowed() {
			escrow = escrow.Add(j.Escrow)
		}
		return false, nil
	}); err != nil {
		return err
	}
	if err := k.Providers.Walk(ctx, nil, func(_ sdk.AccAddress, p types.Provider) (bool, error) {
		bonds = bonds.Add(p.Bond)
		return false, nil
	}); err != nil {
		return err
	}
	totalEscrow, err := k.TotalEscrow.Get(ctx)
	if err != nil {
		return err
	}
	totalBonds, err := k.TotalBonds.Get(ctx)
	if err != nil {
		return err
	}
	if !totalEscrow.Equal(escrow) || !totalBonds.Equal(bonds) {
		return fmt.Errorf("running totals escrow %s bonds %s, jobs and providers say %s and %s", totalEscrow, totalBonds, escrow, bonds)
	}
	balance := k.bank.GetBalance(ctx, k.account.GetModuleAddress(types.ModuleName), k.denom).Amount
	if !balance.Equal(escrow.Add(bonds)) {
		return types.ErrInsufficientEscrow.Wrapf("module holds %s, escrow %s + bonds %s = %s", balance, escrow, bonds, escrow.Add(bonds))
	}
	return k.checkCounts(ctx)
}
