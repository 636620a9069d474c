package types

import errorsmod "cosmossdk.io/errors"

// x/compute errors. Codes are part of the API: never renumber.
var (
	ErrUnauthorized        = errorsmod.Register(ModuleName, 2, "signer is not allowed to do this")
	ErrInvalidParams       = errorsmod.Register(ModuleName, 3, "invalid x/compute params")
	ErrProviderExists      = errorsmod.Register(ModuleName, 4, "provider already registered")
	ErrProviderNotFound    = errorsmod.Register(ModuleName, 5, "provider not registered")
	ErrProviderInactive    = errorsmod.Register(ModuleName, 6, "provider is deregistering")
	ErrUnderBonded         = errorsmod.Register(ModuleName, 7, "provider bond below the minimum")
	ErrProviderBusy        = errorsmod.Register(ModuleName, 8, "provider has active jobs")
	ErrInvalidProvider     = errorsmod.Register(ModuleName, 9, "invalid provider offer")
	ErrInvalidJob          = errorsmod.Register(ModuleName, 10, "invalid job")
	ErrJobNotFound         = errorsmod.Register(ModuleName, 11, "job not found")
	ErrInvalidJobState     = errorsmod.Register(ModuleName, 12, "job is not in a state that allows this")
	ErrModelNotSupported   = errorsmod.Register(ModuleName, 13, "provider does not support the job's model")
	ErrPriceTooHigh        = errorsmod.Register(ModuleName, 14, "provider price above the job's maximum")
	ErrNotPreferred        = errorsmod.Register(ModuleName, 15, "job is reserved for its preferred provider")
	ErrWrongProvider       = errorsmod.Register(ModuleName, 16, "receipt from a provider the job is not assigned to")
	ErrDeadlinePassed      = errorsmod.Register(ModuleName, 17, "job deadline has passed")
	ErrUnitsExceeded       = errorsmod.Register(ModuleName, 18, "compute units outside 1..max_units")
	ErrInvalidSignature    = errorsmod.Register(ModuleName, 19, "receipt signature does not verify")
	ErrInvalidAttestation  = errorsmod.Register(ModuleName, 20, "invalid coordinator attestation")
	ErrDisputeWindowClosed = errorsmod.Register(ModuleName, 21, "dispute window has closed")
	ErrInvalidHash         = errorsmod.Register(ModuleName, 22, "hash must be 64 lowercase hex characters (sha256)")
	ErrInvalidGenesis      = errorsmod.Register(ModuleName, 23, "invalid x/compute genesis")
	ErrReceiptExists       = errorsmod.Register(ModuleName, 24, "job already has a receipt")
	ErrInvalidResolution   = errorsmod.Register(ModuleName, 25, "unknown dispute resolution")
	ErrInvalidPubKey       = errorsmod.Register(ModuleName, 26, "invalid provider signing key")
	ErrPaymentOutOfRange   = errorsmod.Register(ModuleName, 27, "max_units × max_price_per_unit is too large")
	ErrInsufficientEscrow  = errorsmod.Register(ModuleName, 28, "module balance does not cover escrow and bonds")
)
