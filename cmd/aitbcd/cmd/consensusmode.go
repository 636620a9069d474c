package cmd

import (
	"encoding/json"
	"fmt"

	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"

	"github.com/aitbc/chain/app"
	poatypes "github.com/aitbc/chain/x/poa/types"
)

// setGenesisConsensusMode writes the x/poa mode a new chain starts in
// (CONSENSUS_MODE) into its genesis file.
func setGenesisConsensusMode(genesisFile string, mode poatypes.Mode) error {
	genesis, err := genutiltypes.AppGenesisFromFile(genesisFile)
	if err != nil {
		return err
	}
	var state map[string]json.RawMessage
	if err := json.Unmarshal(genesis.AppState, &state); err != nil {
		return err
	}
	cdc := app.MakeEncodingConfig().Codec
	var poaGenesis poatypes.GenesisState
	if err := cdc.UnmarshalJSON(state[poatypes.ModuleName], &poaGenesis); err != nil {
		return fmt.Errorf("x/poa genesis: %w", err)
	}
	poaGenesis.Params.Mode = mode
	if err := poaGenesis.Validate(); err != nil {
		return err
	}
	if state[poatypes.ModuleName], err = cdc.MarshalJSON(&poaGenesis); err != nil {
		return err
	}
	if genesis.AppState, err = json.MarshalIndent(state, "", " "); err != nil {
		return err
	}
	return genesis.SaveAs(genesisFile)
}
