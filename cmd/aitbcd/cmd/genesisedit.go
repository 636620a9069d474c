package cmd

import (
	"encoding/json"
	"fmt"

	"github.com/cosmos/gogoproto/proto"

	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"

	"github.com/aitbc/chain/app"
)

// moduleEdit changes one module's genesis state: state is decoded from the
// file, apply edits (and may validate) it, and it is encoded back.
type moduleEdit struct {
	module string
	state  proto.Message
	apply  func() error
}

// editGenesis applies edits to a genesis file's app state and saves it,
// keeping everything else in the file as it was.
func editGenesis(genesisFile string, edits ...moduleEdit) error {
	genesis, err := genutiltypes.AppGenesisFromFile(genesisFile)
	if err != nil {
		return err
	}
	var state map[string]json.RawMessage
	if err := json.Unmarshal(genesis.AppState, &state); err != nil {
		return fmt.Errorf("%s: app_state: %w", genesisFile, err)
	}
	cdc := app.MakeEncodingConfig().Codec
	for _, e := range edits {
		if err := cdc.UnmarshalJSON(state[e.module], e.state); err != nil {
			return fmt.Errorf("%s genesis: %w", e.module, err)
		}
		if err := e.apply(); err != nil {
			return fmt.Errorf("%s genesis: %w", e.module, err)
		}
		if state[e.module], err = cdc.MarshalJSON(e.state); err != nil {
			return err
		}
	}
	if genesis.AppState, err = json.MarshalIndent(state, "", " "); err != nil {
		return err
	}
	return genesis.SaveAs(genesisFile)
}
