package keeper

import (
	"context"

	"cosmossdk.io/collections"
	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/aitbc/chain/x/compute/types"
)

// settle pays a delivered (or dispute-upheld) job: units × price to the
// provider less the protocol fee, the fee to the fee collector, the rest of
// the escrow back to the client, and compute minting if enabled.
func (k Keeper) settle(ctx context.Context, job types.Job) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	units := sdkmath.NewIntFromUint64(job.Receipt.ComputeUnits)
	payment := job.PricePerUnit.Mul(units) // ≤ escrow: units ≤ max_units and price ≤ max price
	fee := payment.MulRaw(int64(params.ProtocolFeeBps)).QuoRaw(10_000)
	refund := job.Escrow.Sub(payment)

	if err := k.pay(ctx, job.Provider, payment.Sub(fee)); err != nil {
		return err
	}
	if fee.IsPositive() {
		if err := k.bank.SendCoinsFromModuleToModule(ctx, types.ModuleName, k.feeCollector, k.coins(fee)); err != nil {
			return err
		}
	}
	if err := k.pay(ctx, job.Client, refund); err != nil {
		return err
	}
	minted, err := k.mintForCompute(ctx, params, job, units)
	if err != nil {
		return err
	}
	if err := k.finish(ctx, job, types.JobSettled); err != nil {
		return err
	}
	return emit(ctx, &types.EventJobSettled{
		JobId: job.Id, Provider: job.Provider, ProviderPayment: payment.Sub(fee).String(),
		ProtocolFee: fee.String(), ClientRefund: refund.String(), Minted: minted.String(),
	})
}

// mintForCompute mints units × mint_per_compute_unit to the provider, within
// what is left of this block's cap.
func (k Keeper) mintForCompute(ctx context.Context, params types.Params, job types.Job, units sdkmath.Int) (sdkmath.Int, error) {
	want := params.MintPerComputeUnit.Mul(units)
	if !want.IsPositive() {
		return sdkmath.ZeroInt(), nil
	}
	h := height(ctx)
	minted, err := k.MintedInBlock.Get(ctx, h)
	if errNotFound(err) {
		minted = sdkmath.ZeroInt()
		// Only the current block's counter is ever needed.
		if err := k.MintedInBlock.Clear(ctx, new(collections.Range[int64]).EndExclusive(h)); err != nil {
			return sdkmath.ZeroInt(), err
		}
	} else if err != nil {
		return sdkmath.ZeroInt(), err
	}
	amount := sdkmath.MinInt(want, params.MaxMintPerBlock.Sub(minted))
	if !amount.IsPositive() {
		return sdkmath.ZeroInt(), nil
	}
	if err := k.bank.MintCoins(ctx, types.ModuleName, k.coins(amount)); err != nil {
		return sdkmath.ZeroInt(), err
	}
	if err := k.pay(ctx, job.Provider, amount); err != nil {
		return sdkmath.ZeroInt(), err
	}
	return amount, k.MintedInBlock.Set(ctx, h, minted.Add(amount))
}

// closeJob ends a job without payment: the whole escrow returns to the
// client; with slash, the assigned provider loses timeout_slash_bps of its bond.
func (k Keeper) closeJob(ctx context.Context, job types.Job, state types.JobState, slash bool) error {
	if err := k.pay(ctx, job.Client, job.Escrow); err != nil {
		return err
	}
	if slash && job.Provider != "" {
		if err := k.slashProvider(ctx, job); err != nil {
			return err
		}
	}
	if err := k.finish(ctx, job, state); err != nil {
		return err
	}
	return emit(ctx, &types.EventJobClosed{JobId: job.Id, State: state, ClientRefund: job.Escrow.String()})
}

// finish moves a job to a final state: its escrow leaves the totals, it
// leaves the queues, and its provider is no longer busy with it.
func (k Keeper) finish(ctx context.Context, job types.Job, state types.JobState) error {
	old := job
	job.State = state
	if err := k.Jobs.Set(ctx, job.Id, job); err != nil {
		return err
	}
	if err := addTotal(ctx, k.TotalEscrow, job.Escrow.Neg()); err != nil {
		return err
	}
	if err := k.Deadlines.Remove(ctx, collections.Join(job.DeadlineHeight, job.Id)); err != nil {
		return err
	}
	if err := k.Settlements.Remove(ctx, collections.Join(job.SettleHeight, job.Id)); err != nil {
		return err
	}
	if !old.State.HoldsProvider() {
		return nil
	}
	owner, err := sdk.AccAddressFromBech32(job.Provider)
	if err != nil {
		return err
	}
	provider, err := k.GetProvider(ctx, owner)
	if err != nil {
		return err
	}
	// The job held the provider, so the provider counts it. Zero here is a
	// broken invariant (genesis validation and assignment keep the count),
	// never a state a valid chain reaches: fail loudly, not clamp and go on.
	if provider.ActiveJobs == 0 {
		return sdkerrors.ErrLogic.Wrapf("x/compute: job %d (%s) holds provider %s, whose active job count is already 0",
			job.Id, old.State, job.Provider)
	}
	provider.ActiveJobs--
	return k.Providers.Set(ctx, owner, provider)
}

// slashProvider burns timeout_slash_bps of the job's provider's bond.
func (k Keeper) slashProvider(ctx context.Context, job types.Job) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	owner, err := sdk.AccAddressFromBech32(job.Provider)
	if err != nil {
		return err
	}
	provider, err := k.GetProvider(ctx, owner)
	if err != nil {
		return err
	}
	amount := provider.Bond.MulRaw(int64(params.TimeoutSlashBps)).QuoRaw(10_000)
	if !amount.IsPositive() {
		return nil
	}
	if err := k.bank.BurnCoins(ctx, types.ModuleName, k.coins(amount)); err != nil {
		return err
	}
	provider.Bond = provider.Bond.Sub(amount)
	if err := k.Providers.Set(ctx, owner, provider); err != nil {
		return err
	}
	if err := addTotal(ctx, k.TotalBonds, amount.Neg()); err != nil {
		return err
	}
	return emit(ctx, &types.EventProviderSlashed{Owner: job.Provider, JobId: job.Id, Amount: amount.String()})
}

// EndBlocker settles delivered jobs whose dispute window closed, expires jobs
// past their deadline and releases matured bonds: oldest first, at most
// max_end_block_ops in all per block; the rest waits for the next block.
func (k Keeper) EndBlocker(ctx context.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	h := height(ctx)
	budget := int(params.MaxEndBlockOps)

	due, err := dueKeys(ctx, k.Settlements, h+1, budget)
	if err != nil {
		return err
	}
	for _, key := range due {
		job, err := k.GetJob(ctx, key.K2())
		if err != nil {
			return err
		}
		if err := k.settle(ctx, job); err != nil {
			return err
		}
	}
	budget -= len(due)

	// A job may still deliver at its deadline height; it expires after it.
	expired, err := dueKeys(ctx, k.Deadlines, h, budget)
	if err != nil {
		return err
	}
	for _, key := range expired {
		job, err := k.GetJob(ctx, key.K2())
		if err != nil {
			return err
		}
		if err := k.closeJob(ctx, job, types.JobExpired, job.State == types.JobAssigned); err != nil {
			return err
		}
	}
	budget -= len(expired)

	if budget <= 0 {
		return nil
	}
	var releases []collections.Pair[int64, sdk.AccAddress]
	rng := new(collections.Range[collections.Pair[int64, sdk.AccAddress]]).EndExclusive(collections.Join(h+1, sdk.AccAddress{}))
	if err := k.BondReleases.Walk(ctx, rng, func(key collections.Pair[int64, sdk.AccAddress]) (bool, error) {
		releases = append(releases, key)
		return len(releases) >= budget, nil
	}); err != nil {
		return err
	}
	for _, key := range releases {
		if err := k.releaseBond(ctx, key.K2()); err != nil {
			return err
		}
		if err := k.BondReleases.Remove(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

// dueKeys returns up to limit keys of a height-ordered queue below before.
func dueKeys(ctx context.Context, queue collections.KeySet[collections.Pair[int64, uint64]], before int64, limit int) ([]collections.Pair[int64, uint64], error) {
	if limit <= 0 {
		return nil, nil
	}
	var keys []collections.Pair[int64, uint64]
	rng := new(collections.Range[collections.Pair[int64, uint64]]).EndExclusive(collections.Join(before, uint64(0)))
	err := queue.Walk(ctx, rng, func(key collections.Pair[int64, uint64]) (bool, error) {
		keys = append(keys, key)
		return len(keys) >= limit, nil
	})
	return keys, err
}

// releaseBond returns a deregistered provider's bond and forgets the provider.
func (k Keeper) releaseBond(ctx context.Context, owner sdk.AccAddress) error {
	provider, err := k.GetProvider(ctx, owner)
	if err != nil {
		return err
	}
	if err := k.pay(ctx, provider.Owner, provider.Bond); err != nil {
		return err
	}
	if err := addTotal(ctx, k.TotalBonds, provider.Bond.Neg()); err != nil {
		return err
	}
	if err := k.Providers.Remove(ctx, owner); err != nil {
		return err
	}
	return emit(ctx, &types.EventProviderBondReleased{Owner: provider.Owner, Amount: provider.Bond.String()})
}
