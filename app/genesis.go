package app

import (
	"encoding/json"
	"fmt"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/types/module"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
)

// Consensus limits set on purpose instead of CometBFT's defaults (a ~53 MiB
// block and unlimited gas). A 4 MiB block carries thousands of transfers and
// keeps gossip and proposal times well under a second on ordinary links;
// 100M gas is roughly 1,000 bank sends, enough for a sub-second block to
// finish executing in a few hundred milliseconds.
const (
	BlockMaxBytes    int64 = 4 * 1024 * 1024
	BlockMaxGas      int64 = 100_000_000
	EvidenceMaxBytes int64 = 1024 * 1024
)

// DefaultConsensusParams returns the consensus parameters every new AITBC
// chain starts with. They can later be changed by governance through x/consensus.
func DefaultConsensusParams() *cmttypes.ConsensusParams {
	p := cmttypes.DefaultConsensusParams()
	p.Block.MaxBytes = BlockMaxBytes
	p.Block.MaxGas = BlockMaxGas
	p.Evidence.MaxBytes = EvidenceMaxBytes
	p.Validator.PubKeyTypes = []string{cmttypes.ABCIPubKeyTypeEd25519}
	return p
}

// NativeDenomMetadata describes uait/ait so wallets and explorers show AIT amounts.
func NativeDenomMetadata() banktypes.Metadata {
	return banktypes.Metadata{
		Description: "The native staking and fee token of the AITBC chain.",
		DenomUnits: []*banktypes.DenomUnit{
			{Denom: BondDenom, Exponent: 0, Aliases: []string{"microait"}},
			{Denom: DisplayDenom, Exponent: DisplayExponent},
		},
		Base:    BondDenom,
		Display: DisplayDenom,
		Name:    "AITBC",
		Symbol:  "AIT",
	}
}

// NewDefaultGenesisState returns every module's default genesis with AITBC's
// additions (the native denom's metadata). Denominations already default to
// uait because sdk.DefaultBondDenom is set in this package's init.
func NewDefaultGenesisState(cdc codec.JSONCodec, basics module.BasicManager) map[string]json.RawMessage {
	state := basics.DefaultGenesis(cdc)
	var bankGenesis banktypes.GenesisState
	cdc.MustUnmarshalJSON(state[banktypes.ModuleName], &bankGenesis)
	bankGenesis.DenomMetadata = append(bankGenesis.DenomMetadata, NativeDenomMetadata())
	state[banktypes.ModuleName] = cdc.MustMarshalJSON(&bankGenesis)
	return state
}

// ApplyGenesisDefaults puts AITBC's consensus parameters and default app state
// into a genesis freshly written by `init` (which uses CometBFT's and the
// modules' plain defaults).
func ApplyGenesisDefaults(genesis *genutiltypes.AppGenesis, cdc codec.JSONCodec, basics module.BasicManager) error {
	appState, err := json.MarshalIndent(NewDefaultGenesisState(cdc, basics), "", " ")
	if err != nil {
		return fmt.Errorf("encoding default app state: %w", err)
	}
	genesis.AppState = appState
	if genesis.Consensus == nil {
		genesis.Consensus = &genutiltypes.ConsensusGenesis{}
	}
	genesis.Consensus.Params = DefaultConsensusParams()
	return genesis.Consensus.ValidateAndComplete()
}
