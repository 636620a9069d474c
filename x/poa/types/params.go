package types

import (
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// DefaultParams starts a chain in POA mode, governed by governance alone.
func DefaultParams() Params {
	return Params{Mode: ModePoA, MaxPowerChangeBps: DefaultMaxPowerChangeBps}
}

// ParseMode maps the seed's CONSENSUS_MODE values (poa, hybrid, pos) to a Mode.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "poa", "POA":
		return ModePoA, nil
	case "hybrid", "HYBRID":
		return ModeHybrid, nil
	case "pos", "POS":
		return ModePoS, nil
	}
	return ModeUnspecified, fmt.Errorf("unknown consensus mode %q: want poa, hybrid or pos", s)
}

// AuthorityManagesValidators reports whether the authority may add, re-weight
// and remove validators in this mode.
func (m Mode) AuthorityManagesValidators() bool { return m == ModePoA || m == ModeHybrid }

// Validate checks every field.
func (p Params) Validate() error {
	if p.Mode != ModePoA && p.Mode != ModeHybrid && p.Mode != ModePoS {
		return ErrInvalidParams.Wrapf("mode %s: want MODE_POA, MODE_HYBRID or MODE_POS", p.Mode)
	}
	if p.Admin != "" {
		if _, err := sdk.AccAddressFromBech32(p.Admin); err != nil {
			return ErrInvalidParams.Wrapf("admin %q: %v", p.Admin, err)
		}
	}
	if p.MaxPowerChangeBps == 0 || p.MaxPowerChangeBps > MaxPowerChangeBpsLimit {
		return ErrInvalidParams.Wrapf("max_power_change_bps %d: want 1 to %d (below 1/3 of the total power)",
			p.MaxPowerChangeBps, MaxPowerChangeBpsLimit)
	}
	return nil
}

// ValidateTransition says whether params may move from mode old to mode new.
// POS is final: stake bonded by anyone cannot be handed back to an authority
// without taking it from its owners, so POS never goes back to POA or HYBRID.
func ValidateTransition(old, new Mode) error {
	if old == ModePoS && new != ModePoS {
		return ErrInvalidModeTransition.Wrapf("%s to %s: POS is final; validators bonded by their own stake cannot be handed back to an authority", old, new)
	}
	return nil
}

// ValidatePower checks a power target for a validator that stays in the set.
func ValidatePower(power int64) error {
	if power <= 0 || power > MaxValidatorPower {
		return ErrInvalidPower.Wrapf("%d: want 1 to %d", power, int64(MaxValidatorPower))
	}
	return nil
}
