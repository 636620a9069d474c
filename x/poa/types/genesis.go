package types

import sdk "github.com/cosmos/cosmos-sdk/types"

// DefaultGenesis is POA mode with an empty allow-list and no pending changes.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextSequence: 1}
}

// Validate rejects a genesis that InitGenesis could not load faithfully.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	seen := make(map[string]bool, len(gs.AllowList))
	for _, op := range gs.AllowList {
		if _, err := sdk.AccAddressFromBech32(op); err != nil {
			return ErrInvalidGenesis.Wrapf("allow-list entry %q: %v", op, err)
		}
		if seen[op] {
			return ErrInvalidGenesis.Wrapf("allow-list entry %s appears twice", op)
		}
		seen[op] = true
	}
	validators := make(map[string]bool, len(gs.PendingChanges))
	sequences := make(map[uint64]bool, len(gs.PendingChanges))
	for _, c := range gs.PendingChanges {
		if _, err := sdk.ValAddressFromBech32(c.ValidatorAddress); err != nil {
			return ErrInvalidGenesis.Wrapf("pending change for %q: %v", c.ValidatorAddress, err)
		}
		if validators[c.ValidatorAddress] {
			return ErrInvalidGenesis.Wrapf("two pending changes for %s", c.ValidatorAddress)
		}
		if c.TargetPower != 0 {
			if err := ValidatePower(c.TargetPower); err != nil {
				return ErrInvalidGenesis.Wrapf("pending change for %s: %v", c.ValidatorAddress, err)
			}
		}
		if c.Sequence == 0 || c.Sequence >= gs.NextSequence || sequences[c.Sequence] {
			return ErrInvalidGenesis.Wrapf("pending change for %s has sequence %d: want unique, from 1 to next_sequence-1 (%d)",
				c.ValidatorAddress, c.Sequence, gs.NextSequence-1)
		}
		validators[c.ValidatorAddress], sequences[c.Sequence] = true, true
	}
	if gs.NextSequence == 0 {
		return ErrInvalidGenesis.Wrap("next_sequence must be at least 1")
	}
	return nil
}
