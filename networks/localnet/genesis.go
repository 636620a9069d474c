package localnet

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/cosmos/gogoproto/proto"

	"github.com/cosmos/cosmos-sdk/codec"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/app"
	poatypes "github.com/aitbc/chain/x/poa/types"
)

// ModuleEdit changes one module's genesis state: State is decoded from the
// file, Apply edits (and may validate) it, and it is encoded back.
type ModuleEdit struct {
	Module string
	State  proto.Message
	Apply  func() error
}

// EditGenesis applies edits to a genesis file's app state and saves it,
// keeping everything else in the file as it was.
func EditGenesis(genesisFile string, edits ...ModuleEdit) error {
	return editGenesis(app.MakeEncodingConfig().Codec, genesisFile, edits...)
}

func editGenesis(cdc codec.Codec, genesisFile string, edits ...ModuleEdit) error {
	genesis, err := genutiltypes.AppGenesisFromFile(genesisFile)
	if err != nil {
		return err
	}
	var state map[string]json.RawMessage
	if err := json.Unmarshal(genesis.AppState, &state); err != nil {
		return fmt.Errorf("%s: app_state: %w", genesisFile, err)
	}
	for _, e := range edits {
		if err := cdc.UnmarshalJSON(state[e.Module], e.State); err != nil {
			return fmt.Errorf("%s genesis: %w", e.Module, err)
		}
		if err := e.Apply(); err != nil {
			return fmt.Errorf("%s genesis: %w", e.Module, err)
		}
		if state[e.Module], err = cdc.MarshalJSON(e.State); err != nil {
			return err
		}
	}
	if genesis.AppState, err = json.MarshalIndent(state, "", " "); err != nil {
		return err
	}
	return genesis.SaveAs(genesisFile)
}

// SetGenesisPeriods sets the governance voting (and deposit) period, the
// expedited voting period and the staking unbonding time in a genesis file.
func SetGenesisPeriods(genesisFile string, votingPeriod, expeditedPeriod, unbondingTime time.Duration) error {
	return EditGenesis(genesisFile, periodEdits(votingPeriod, expeditedPeriod, unbondingTime)...)
}

func periodEdits(votingPeriod, expeditedPeriod, unbondingTime time.Duration) []ModuleEdit {
	var gov govv1.GenesisState
	var staking stakingtypes.GenesisState
	return []ModuleEdit{
		{Module: "gov", State: &gov, Apply: func() error {
			voting, expedited := votingPeriod, expeditedPeriod
			gov.Params.VotingPeriod, gov.Params.ExpeditedVotingPeriod, gov.Params.MaxDepositPeriod = &voting, &expedited, &voting
			return nil
		}},
		{Module: stakingtypes.ModuleName, State: &staking, Apply: func() error {
			staking.Params.UnbondingTime = unbondingTime
			return nil
		}},
	}
}

// SetGenesisConsensusMode writes the x/poa mode a new chain starts in
// (CONSENSUS_MODE) into its genesis file.
func SetGenesisConsensusMode(genesisFile string, mode ConsensusMode) error {
	poaMode, err := mode.PoAMode()
	if err != nil {
		return fmt.Errorf("consensus mode %q: %w", mode, err)
	}
	var poaGenesis poatypes.GenesisState
	return EditGenesis(genesisFile, ModuleEdit{Module: poatypes.ModuleName, State: &poaGenesis, Apply: func() error {
		poaGenesis.Params.Mode = poaMode
		return poaGenesis.Validate()
	}})
}
