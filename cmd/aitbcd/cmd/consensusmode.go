package cmd

import poatypes "github.com/aitbc/chain/x/poa/types"

// setGenesisConsensusMode writes the x/poa mode a new chain starts in
// (CONSENSUS_MODE) into its genesis file.
func setGenesisConsensusMode(genesisFile string, mode poatypes.Mode) error {
	var poaGenesis poatypes.GenesisState
	return editGenesis(genesisFile, moduleEdit{module: poatypes.ModuleName, state: &poaGenesis, apply: func() error {
		poaGenesis.Params.Mode = mode
		return poaGenesis.Validate()
	}})
}
