package types

import (
	"cosmossdk.io/collections"

	"github.com/aitbc/chain/x/internal/pagination"
)

const (
	// ModuleName is x/compute's name, store key and module account (escrow and bonds).
	ModuleName = "compute"
	StoreKey   = ModuleName

	// Limits on free-form fields, so no message can store unbounded data.
	// Messages beyond them are refused by ValidateBasic, before the ante
	// handler, so they never reach a block or pay a fee.
	MaxModelLen     = 128 // each of a provider's models, and a job's model
	MaxModels       = 32  // models per provider
	MaxEndpointLen  = 256 // a provider's endpoint
	MaxGPUModelLen  = 128 // a provider's hardware.gpu_model
	MaxJobTypeLen   = 128 // a job's job_type
	MaxInputURILen  = 512 // a job's input_uri
	MaxReasonLen    = 512 // a dispute's reason
	MaxAttestations = 16  // coordinator attestations per receipt
	// MaxSignatureLen bounds a receipt's and each attestation's signature;
	// secp256k1 and ed25519 signatures are 64 bytes.
	MaxSignatureLen = 128
)

// MaxPageLimit is the largest page the Jobs and Providers queries serve; a
// larger pagination.limit is refused with InvalidArgument. Clients outside
// x/ (the facade's metrics poll) page with it.
const MaxPageLimit = pagination.MaxLimit

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
	// Since consensus version 2 (the v2 upgrade): counters kept by the job
	// and provider indexes, so that counting costs one read, not a walk.
	JobCountsPrefix  = collections.NewPrefix(13)
	ProviderCountKey = collections.NewPrefix(14)
)
