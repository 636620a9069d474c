package types

import (
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// MaxMonikerLen bounds a moniker given to MsgAddValidator: x/staking's own
// limit, checked before the message reaches a block.
const MaxMonikerLen = stakingtypes.MaxMonikerLength

// ValidateBasic is the stateless half of each message's checks. baseapp runs
// it before the ante handler in CheckTx and FinalizeBlock, so a malformed
// message is refused without reaching a block or paying a fee; the message
// servers run it again (authz and governance dispatch messages too) and then
// do the checks that need state: the signer's authority, the mode, the
// validator's existence. Nothing here reads state or the clock.
var (
	_ sdk.HasValidateBasic = (*MsgUpdateParams)(nil)
	_ sdk.HasValidateBasic = (*MsgAddValidator)(nil)
	_ sdk.HasValidateBasic = (*MsgSetValidatorPower)(nil)
	_ sdk.HasValidateBasic = (*MsgRemoveValidator)(nil)
	_ sdk.HasValidateBasic = (*MsgAllowOperator)(nil)
	_ sdk.HasValidateBasic = (*MsgDisallowOperator)(nil)
)

// clip shortens a client's string for an error message.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// ParseAccAddress decodes an account address, naming the field when it is bad.
func ParseAccAddress(field, s string) (sdk.AccAddress, error) {
	addr, err := sdk.AccAddressFromBech32(s)
	if err != nil {
		return nil, sdkerrors.ErrInvalidAddress.Wrapf("%s %q: %v", field, clip(s), err)
	}
	return addr, nil
}

// ParseValAddress decodes a validator operator address (aitvaloper1…).
func ParseValAddress(field, s string) (sdk.ValAddress, error) {
	addr, err := sdk.ValAddressFromBech32(s)
	if err != nil {
		return nil, sdkerrors.ErrInvalidAddress.Wrapf("%s %q: %v", field, clip(s), err)
	}
	return addr, nil
}

// ConsensusKey returns the public key inside a MsgAddValidator's Any.
func (m *MsgAddValidator) ConsensusKey() (cryptotypes.PubKey, error) {
	if m.Pubkey == nil {
		return nil, ErrInvalidPubKey.Wrap("pubkey is required")
	}
	pk, ok := m.Pubkey.GetCachedValue().(cryptotypes.PubKey)
	if !ok {
		return nil, ErrInvalidPubKey.Wrapf("pubkey of type %s is not a public key", clip(m.Pubkey.TypeUrl))
	}
	return pk, nil
}

// ValidateBasic checks the authority's address and the new params.
func (m *MsgUpdateParams) ValidateBasic() error {
	if _, err := ParseAccAddress("authority", m.Authority); err != nil {
		return err
	}
	return m.Params.Validate()
}

// ValidateBasic checks the addresses, the key, the power and the moniker.
// Which key types consensus accepts is a consensus param, checked by x/staking.
func (m *MsgAddValidator) ValidateBasic() error {
	if _, err := ParseAccAddress("authority", m.Authority); err != nil {
		return err
	}
	if _, err := ParseAccAddress("operator", m.Operator); err != nil {
		return err
	}
	if _, err := m.ConsensusKey(); err != nil {
		return err
	}
	if err := ValidatePower(m.Power); err != nil {
		return err
	}
	if len(m.Moniker) > MaxMonikerLen {
		return ErrInvalidMoniker.Wrapf("moniker has %d bytes, at most %d", len(m.Moniker), MaxMonikerLen)
	}
	return nil
}

// ValidateBasic checks the addresses and the power.
func (m *MsgSetValidatorPower) ValidateBasic() error {
	if _, err := ParseAccAddress("authority", m.Authority); err != nil {
		return err
	}
	if _, err := ParseValAddress("validator_address", m.ValidatorAddress); err != nil {
		return err
	}
	return ValidatePower(m.Power)
}

// ValidateBasic checks the addresses.
func (m *MsgRemoveValidator) ValidateBasic() error {
	if _, err := ParseAccAddress("authority", m.Authority); err != nil {
		return err
	}
	_, err := ParseValAddress("validator_address", m.ValidatorAddress)
	return err
}

// ValidateBasic checks the addresses.
func (m *MsgAllowOperator) ValidateBasic() error {
	if _, err := ParseAccAddress("authority", m.Authority); err != nil {
		return err
	}
	_, err := ParseAccAddress("operator", m.Operator)
	return err
}

// ValidateBasic checks the addresses.
func (m *MsgDisallowOperator) ValidateBasic() error {
	if _, err := ParseAccAddress("authority", m.Authority); err != nil {
		return err
	}
	_, err := ParseAccAddress("operator", m.Operator)
	return err
}
