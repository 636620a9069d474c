package types

import (
	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// ValidateBasic is the stateless half of each message's checks. baseapp runs
// it before the ante handler in CheckTx and FinalizeBlock, so a malformed
// message is refused without reaching a block or paying a fee; the message
// servers run it again (a message may also arrive through authz or a
// governance proposal) and then do the checks that need state.
// Nothing here reads state, the clock or the chain's params.
var (
	_ sdk.HasValidateBasic = (*MsgUpdateParams)(nil)
	_ sdk.HasValidateBasic = (*MsgRegisterProvider)(nil)
	_ sdk.HasValidateBasic = (*MsgUpdateProvider)(nil)
	_ sdk.HasValidateBasic = (*MsgDeregisterProvider)(nil)
	_ sdk.HasValidateBasic = (*MsgSubmitJob)(nil)
	_ sdk.HasValidateBasic = (*MsgCancelJob)(nil)
	_ sdk.HasValidateBasic = (*MsgAcceptJob)(nil)
	_ sdk.HasValidateBasic = (*MsgSubmitReceipt)(nil)
	_ sdk.HasValidateBasic = (*MsgDisputeJob)(nil)
	_ sdk.HasValidateBasic = (*MsgResolveDispute)(nil)
)

// ParseAddress decodes an account address, naming the field when it is bad.
func ParseAddress(field, s string) (sdk.AccAddress, error) {
	addr, err := sdk.AccAddressFromBech32(s)
	if err != nil {
		return nil, sdkerrors.ErrInvalidAddress.Wrapf("%s %q: %v", field, clip(s), err)
	}
	return addr, nil
}

func validJobID(id uint64) error {
	if id == 0 {
		return ErrInvalidJob.Wrap("job_id must be at least 1")
	}
	return nil
}

// ValidateBasic checks the authority's address and the new params.
func (m *MsgUpdateParams) ValidateBasic() error {
	if _, err := ParseAddress("authority", m.Authority); err != nil {
		return err
	}
	return m.Params.Validate()
}

// ValidateBasic checks the owner, signing key, offer and bond.
func (m *MsgRegisterProvider) ValidateBasic() error {
	if _, err := ParseAddress("owner", m.Owner); err != nil {
		return err
	}
	if _, err := SigningKey(m.Pubkey); err != nil {
		return err
	}
	if err := ValidateOffer(m.Endpoint, m.Hardware, m.Models, m.PricePerUnit); err != nil {
		return err
	}
	if m.Bond.IsNil() || m.Bond.IsNegative() {
		return ErrUnderBonded.Wrap("bond must not be negative")
	}
	return nil
}

// ValidateBasic checks the owner, the new offer and the added bond.
func (m *MsgUpdateProvider) ValidateBasic() error {
	if _, err := ParseAddress("owner", m.Owner); err != nil {
		return err
	}
	if err := ValidateOffer(m.Endpoint, m.Hardware, m.Models, m.PricePerUnit); err != nil {
		return err
	}
	if !m.AddBond.IsNil() && m.AddBond.IsNegative() {
		return ErrInvalidProvider.Wrap("add_bond must not be negative")
	}
	return nil
}

// ValidateBasic checks the owner.
func (m *MsgDeregisterProvider) ValidateBasic() error {
	_, err := ParseAddress("owner", m.Owner)
	return err
}

// ValidateBasic checks the addresses, the job's fields and that the escrow
// max_units × max_price_per_unit fits an Int. The deadline's upper bound is a
// param, checked by the message server.
func (m *MsgSubmitJob) ValidateBasic() error {
	if _, err := ParseAddress("client", m.Client); err != nil {
		return err
	}
	if m.PreferredProvider != "" {
		if _, err := ParseAddress("preferred_provider", m.PreferredProvider); err != nil {
			return err
		}
	}
	switch {
	case m.JobType == "" || len(m.JobType) > MaxJobTypeLen:
		return ErrInvalidJob.Wrapf("job_type has %d bytes: want 1 to %d", len(m.JobType), MaxJobTypeLen)
	case m.Model == "" || len(m.Model) > MaxModelLen:
		return ErrInvalidJob.Wrapf("model has %d bytes: want 1 to %d", len(m.Model), MaxModelLen)
	case len(m.InputUri) > MaxInputURILen:
		return ErrInvalidJob.Wrapf("input_uri has %d bytes, at most %d", len(m.InputUri), MaxInputURILen)
	case m.MaxUnits == 0:
		return ErrInvalidJob.Wrap("max_units must be at least 1")
	case m.MaxPricePerUnit.IsNil() || !m.MaxPricePerUnit.IsPositive():
		return ErrInvalidJob.Wrap("max_price_per_unit must be positive")
	case m.DeadlineBlocks == 0:
		return ErrInvalidJob.Wrap("deadline_blocks must be at least 1")
	}
	if err := ValidateHash("input_hash", m.InputHash); err != nil {
		return err
	}
	if _, err := m.Escrow(); err != nil {
		return err
	}
	return nil
}

// Escrow is what submitting the job locks: max_units × max_price_per_unit.
func (m *MsgSubmitJob) Escrow() (sdkmath.Int, error) {
	escrow, err := m.MaxPricePerUnit.SafeMul(sdkmath.NewIntFromUint64(m.MaxUnits))
	if err != nil {
		return escrow, ErrPaymentOutOfRange.Wrap(err.Error())
	}
	return escrow, nil
}

// ValidateBasic checks the client and the job id.
func (m *MsgCancelJob) ValidateBasic() error {
	if _, err := ParseAddress("client", m.Client); err != nil {
		return err
	}
	return validJobID(m.JobId)
}

// ValidateBasic checks the provider and the job id.
func (m *MsgAcceptJob) ValidateBasic() error {
	if _, err := ParseAddress("provider", m.Provider); err != nil {
		return err
	}
	return validJobID(m.JobId)
}

// ValidateBasic checks the receipt's shape: the signatures are verified, and
// compute_units checked against the job, by the message server.
func (m *MsgSubmitReceipt) ValidateBasic() error {
	if _, err := ParseAddress("provider", m.Provider); err != nil {
		return err
	}
	if err := validJobID(m.JobId); err != nil {
		return err
	}
	if err := ValidateHash("output_hash", m.OutputHash); err != nil {
		return err
	}
	switch {
	case m.ComputeUnits == 0:
		return ErrUnitsExceeded.Wrap("compute_units must be at least 1")
	case len(m.Signature) == 0 || len(m.Signature) > MaxSignatureLen:
		return ErrInvalidReceipt.Wrapf("signature has %d bytes: want 1 to %d", len(m.Signature), MaxSignatureLen)
	case len(m.Attestations) > MaxAttestations:
		return ErrInvalidAttestation.Wrapf("%d attestations, at most %d", len(m.Attestations), MaxAttestations)
	}
	for i, a := range m.Attestations {
		if len(a.Signature) == 0 || len(a.Signature) > MaxSignatureLen {
			return ErrInvalidAttestation.Wrapf("attestation %d's signature has %d bytes: want 1 to %d", i, len(a.Signature), MaxSignatureLen)
		}
		for _, b := range m.Attestations[:i] {
			if b.Coordinator == a.Coordinator {
				return ErrInvalidAttestation.Wrapf("coordinator %d attests twice", a.Coordinator)
			}
		}
	}
	return nil
}

// ValidateBasic checks the client, the job id and the reason's length.
func (m *MsgDisputeJob) ValidateBasic() error {
	if _, err := ParseAddress("client", m.Client); err != nil {
		return err
	}
	if err := validJobID(m.JobId); err != nil {
		return err
	}
	if len(m.Reason) > MaxReasonLen {
		return ErrInvalidJob.Wrapf("reason has %d bytes, at most %d", len(m.Reason), MaxReasonLen)
	}
	return nil
}

// ValidateBasic checks the authority, the job id and the resolution.
func (m *MsgResolveDispute) ValidateBasic() error {
	if _, err := ParseAddress("authority", m.Authority); err != nil {
		return err
	}
	if err := validJobID(m.JobId); err != nil {
		return err
	}
	switch m.Resolution {
	case ResolutionPay, ResolutionRefund, ResolutionRefundAndSlash:
		return nil
	}
	return ErrInvalidResolution.Wrapf("%s", m.Resolution)
}
