package types

import errorsmod "cosmossdk.io/errors"

// x/poa errors. Codes are part of the API: never renumber.
var (
	ErrUnauthorized          = errorsmod.Register(ModuleName, 2, "signer is not the x/poa authority")
	ErrModeDisallows         = errorsmod.Register(ModuleName, 3, "not allowed in the current consensus mode")
	ErrNotAllowListed        = errorsmod.Register(ModuleName, 4, "account is not on the allow-list")
	ErrInvalidPower          = errorsmod.Register(ModuleName, 5, "invalid validator power")
	ErrUnknownValidator      = errorsmod.Register(ModuleName, 6, "unknown validator")
	ErrValidatorExists       = errorsmod.Register(ModuleName, 7, "validator already exists")
	ErrDuplicatePubKey       = errorsmod.Register(ModuleName, 8, "consensus public key already in use")
	ErrInvalidPubKey         = errorsmod.Register(ModuleName, 9, "invalid consensus public key")
	ErrInvalidModeTransition = errorsmod.Register(ModuleName, 10, "invalid consensus mode transition")
	ErrInvalidParams         = errorsmod.Register(ModuleName, 11, "invalid x/poa params")
	ErrInvalidGenesis        = errorsmod.Register(ModuleName, 12, "invalid x/poa genesis")
	ErrAlreadyAllowListed    = errorsmod.Register(ModuleName, 13, "operator already on the allow-list")
	ErrInvalidMoniker        = errorsmod.Register(ModuleName, 14, "invalid validator moniker")
	ErrTombstonedKey         = errorsmod.Register(ModuleName, 15, "consensus public key is tombstoned")
	ErrValidatorJailed       = errorsmod.Register(ModuleName, 16, "validator is jailed")
	ErrPowerBudgetExceeded   = errorsmod.Register(ModuleName, 17, "over this block's power-increase budget")
)
