package types

import (
	sdkmath "cosmossdk.io/math"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
)

// DefaultParams: a 100 AIT provider bond, a 10-minute dispute window and a
// one-day bond unbonding at 1s blocks, a 2% protocol fee, 5% slash on
// time-out, and no minting (the original design's compute minting is opt-in).
func DefaultParams() Params {
	return Params{
		MinProviderBond:         sdkmath.NewInt(100_000_000),
		ProviderUnbondingBlocks: 86_400,
		DisputeWindowBlocks:     600,
		ProtocolFeeBps:          200,
		TimeoutSlashBps:         500,
		MintPerComputeUnit:      sdkmath.ZeroInt(),
		MaxMintPerBlock:         sdkmath.ZeroInt(),
		MaxDeadlineBlocks:       604_800,
		MaxEndBlockOps:          100,
	}
}

// Validate checks every field.
func (p Params) Validate() error {
	switch {
	case p.MinProviderBond.IsNil() || p.MinProviderBond.IsNegative():
		return ErrInvalidParams.Wrap("min_provider_bond must be zero or more")
	case p.DisputeWindowBlocks == 0:
		return ErrInvalidParams.Wrap("dispute_window_blocks must be at least 1")
	case p.ProtocolFeeBps > 10_000:
		return ErrInvalidParams.Wrapf("protocol_fee_bps %d above 10000", p.ProtocolFeeBps)
	case p.TimeoutSlashBps > 10_000:
		return ErrInvalidParams.Wrapf("timeout_slash_bps %d above 10000", p.TimeoutSlashBps)
	case p.MintPerComputeUnit.IsNil() || p.MintPerComputeUnit.IsNegative():
		return ErrInvalidParams.Wrap("mint_per_compute_unit must be zero or more")
	case p.MaxMintPerBlock.IsNil() || p.MaxMintPerBlock.IsNegative():
		return ErrInvalidParams.Wrap("max_mint_per_block must be zero or more")
	case p.MaxDeadlineBlocks == 0:
		return ErrInvalidParams.Wrap("max_deadline_blocks must be at least 1")
	case p.MaxEndBlockOps == 0:
		return ErrInvalidParams.Wrap("max_end_block_ops must be at least 1")
	case int(p.RequiredAttestations) > len(p.Coordinators):
		return ErrInvalidParams.Wrapf("required_attestations %d above the %d coordinators", p.RequiredAttestations, len(p.Coordinators))
	}
	seen := make(map[string]bool, len(p.Coordinators))
	for i, anyKey := range p.Coordinators {
		pk, ok := anyKey.GetCachedValue().(cryptotypes.PubKey)
		if !ok {
			return ErrInvalidParams.Wrapf("coordinator %d is not a public key", i)
		}
		if seen[string(pk.Bytes())] {
			return ErrInvalidParams.Wrapf("coordinator %d repeats another's key", i)
		}
		seen[string(pk.Bytes())] = true
	}
	return nil
}

// CoordinatorKeys returns the coordinators' public keys in order.
func (p Params) CoordinatorKeys() []cryptotypes.PubKey {
	keys := make([]cryptotypes.PubKey, 0, len(p.Coordinators))
	for _, anyKey := range p.Coordinators {
		if pk, ok := anyKey.GetCachedValue().(cryptotypes.PubKey); ok {
			keys = append(keys, pk)
		}
	}
	return keys
}
