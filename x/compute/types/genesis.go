package types

import (
	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// DefaultGenesis is the default params with no providers or jobs.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextJobId: 1}
}

// Validate rejects a genesis InitGenesis could not load faithfully.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	providers := make(map[string]Provider, len(gs.Providers))
	for _, p := range gs.Providers {
		if _, err := sdk.AccAddressFromBech32(p.Owner); err != nil {
			return ErrInvalidGenesis.Wrapf("provider owner %q: %v", p.Owner, err)
		}
		if _, dup := providers[p.Owner]; dup {
			return ErrInvalidGenesis.Wrapf("provider %s appears twice", p.Owner)
		}
		if _, err := SigningKey(p.Pubkey); err != nil {
			return ErrInvalidGenesis.Wrapf("provider %s: %v", p.Owner, err)
		}
		if err := ValidateOffer(p.Endpoint, p.Hardware, p.Models, p.PricePerUnit); err != nil {
			return ErrInvalidGenesis.Wrapf("provider %s: %v", p.Owner, err)
		}
		if p.Bond.IsNil() || p.Bond.IsNegative() {
			return ErrInvalidGenesis.Wrapf("provider %s has a negative bond", p.Owner)
		}
		if p.Status != ProviderActive && p.Status != ProviderUnbonding {
			return ErrInvalidGenesis.Wrapf("provider %s has status %s", p.Owner, p.Status)
		}
		providers[p.Owner] = p
	}
	busy := make(map[string]uint64)
	ids := make(map[uint64]bool, len(gs.Jobs))
	for _, j := range gs.Jobs {
		if j.Id == 0 || j.Id >= gs.NextJobId || ids[j.Id] {
			return ErrInvalidGenesis.Wrapf("job id %d: want unique ids from 1 to next_job_id-1 (%d)", j.Id, gs.NextJobId-1)
		}
		ids[j.Id] = true
		if _, err := sdk.AccAddressFromBech32(j.Client); err != nil {
			return ErrInvalidGenesis.Wrapf("job %d client: %v", j.Id, err)
		}
		if j.State == JobStateUnspecified || j.State > JobCancelled {
			return ErrInvalidGenesis.Wrapf("job %d has state %s", j.Id, j.State)
		}
		if err := ValidateHash("input_hash", j.InputHash); err != nil {
			return ErrInvalidGenesis.Wrapf("job %d: %v", j.Id, err)
		}
		if j.Escrow.IsNil() || j.Escrow.IsNegative() {
			return ErrInvalidGenesis.Wrapf("job %d has a negative escrow", j.Id)
		}
		if j.State.HoldsProvider() {
			if _, ok := providers[j.Provider]; !ok {
				return ErrInvalidGenesis.Wrapf("job %d is assigned to unregistered provider %q", j.Id, j.Provider)
			}
			busy[j.Provider]++
		}
		if (j.State == JobDelivered || j.State == JobDisputed) && j.Receipt == nil {
			return ErrInvalidGenesis.Wrapf("job %d is %s without a receipt", j.Id, j.State)
		}
	}
	for owner, p := range providers {
		if p.ActiveJobs != busy[owner] {
			return ErrInvalidGenesis.Wrapf("provider %s counts %d active jobs, the jobs say %d", owner, p.ActiveJobs, busy[owner])
		}
	}
	if gs.NextJobId == 0 {
		return ErrInvalidGenesis.Wrap("next_job_id must be at least 1")
	}
	return nil
}

// Totals are what the module account must hold for a genesis: escrow of
// unfinished jobs and provider bonds.
func (gs GenesisState) Totals() (escrow, bonds sdkmath.Int) {
	escrow, bonds = sdkmath.ZeroInt(), sdkmath.ZeroInt()
	for _, j := range gs.Jobs {
		if j.State.Escrowed() {
			escrow = escrow.Add(j.Escrow)
		}
	}
	for _, p := range gs.Providers {
		bonds = bonds.Add(p.Bond)
	}
	return escrow, bonds
}
