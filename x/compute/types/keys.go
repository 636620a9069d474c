package types

import "cosmossdk.io/collections"

const (
	// ModuleName is x/compute's name, store key and module account (escrow and bonds).
	ModuleName = "compute"
	StoreKey   = ModuleName

	// Limits on free-form fields, so no message can store unbounded data.
	MaxModelLen     = 128
	MaxModels       = 32
	MaxEndpointLen  = 256
	MaxInputURILen  = 512
	MaxReasonLen    = 512
	MaxAttestations = 16
)

// Store prefixes of the collections.
var (
	ParamsKey           = collections.NewPrefix(0)
	ProvidersPrefix     = collections.NewPrefix(1)
	JobsPrefix          = collections.NewPrefix(2)
	NextJobIDKey        = collections.NewPrefix(3)
	JobsByClientPrefix  = collections.NewPrefix(4)
	JobsByProvPrefix    = collections.NewPrefix(5)
	JobsByStatePrefix   = collections.NewPrefix(6)
	DeadlinesPrefix     = collections.NewPrefix(7)
	SettlementsPrefix   = collections.NewPrefix(8)
	BondReleasesPrefix  = collections.NewPrefix(9)
	TotalEscrowKey      = collections.NewPrefix(10)
	TotalBondsKey       = collections.NewPrefix(11)
	MintedInBlockPrefix = collections.NewPrefix(12)
)
