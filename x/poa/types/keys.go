package types

import "cosmossdk.io/collections"

const (
	// ModuleName is x/poa's name, store key and module account.
	ModuleName = "poa"
	StoreKey   = ModuleName

	// MaxPowerChangeBpsLimit keeps the per-block change strictly below 1/3
	// of the total power, the bound light clients rely on.
	MaxPowerChangeBpsLimit = 3333
	// DefaultMaxPowerChangeBps is the cap new chains start with.
	DefaultMaxPowerChangeBps = 3000
	// MaxValidatorPower bounds a power target; 10^12 power is 10^18 uait, far
	// inside CometBFT's total-power limit and int64 token arithmetic.
	MaxValidatorPower = 1_000_000_000_000
)

// Store prefixes of the collections.
var (
	ParamsKey            = collections.NewPrefix(0)
	AllowListPrefix      = collections.NewPrefix(1)
	PendingPrefix        = collections.NewPrefix(2)
	PendingByValidPrefix = collections.NewPrefix(3)
	NextSequenceKey      = collections.NewPrefix(4)
	PowerIncreasePrefix  = collections.NewPrefix(5)
)
