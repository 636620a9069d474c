package system

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/cosmos/gogoproto/proto"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"

	"github.com/aitbc/chain/app"
	computetypes "github.com/aitbc/chain/x/compute/types"
	poatypes "github.com/aitbc/chain/x/poa/types"
)

// Typed genesis mutators: a test changes a home's genesis.json before the
// node starts by decoding it into the SDK's AppGenesis and each module's own
// GenesisState (the proto types the module's InitGenesis reads), so a field
// renamed or retyped in a module breaks the build here, not the chain's
// start-up.

// genesisMutator changes one decoded genesis; app_state is keyed by module name.
type genesisMutator func(t testing.TB, cdc codec.JSONCodec, g *genutiltypes.AppGenesis, appState map[string]json.RawMessage)

var genesisCodec = app.MakeEncodingConfig().Codec

// modifyGenesis applies mutators, in order, to the node's genesis.json.
func (n *node) modifyGenesis(mutators ...genesisMutator) {
	n.t.Helper()
	path := filepath.Join(n.home, "config", "genesis.json")
	g, err := genutiltypes.AppGenesisFromFile(path)
	if err != nil {
		n.t.Fatal(err)
	}
	var appState map[string]json.RawMessage
	if err := json.Unmarshal(g.AppState, &appState); err != nil {
		n.t.Fatalf("%s: app_state: %v", path, err)
	}
	for _, m := range mutators {
		m(n.t, genesisCodec, g, appState)
	}
	if g.AppState, err = json.Marshal(appState); err != nil {
		n.t.Fatal(err)
	}
	if err := g.SaveAs(path); err != nil {
		n.t.Fatal(err)
	}
}

// editModuleGenesis decodes app_state[module] into state, lets edit change
// it and encodes it back.
func editModuleGenesis[S proto.Message](t testing.TB, cdc codec.JSONCodec, appState map[string]json.RawMessage,
	module string, state S, edit func(S),
) {
	t.Helper()
	raw, ok := appState[module]
	if !ok {
		t.Fatalf("genesis has no %s module state", module)
	}
	if err := cdc.UnmarshalJSON(raw, state); err != nil {
		t.Fatalf("decoding %s genesis: %v", module, err)
	}
	edit(state)
	out, err := cdc.MarshalJSON(state)
	if err != nil {
		t.Fatalf("encoding %s genesis: %v", module, err)
	}
	appState[module] = out
}

// withComputeParams changes x/compute's params.
func withComputeParams(edit func(*computetypes.Params)) genesisMutator {
	return func(t testing.TB, cdc codec.JSONCodec, _ *genutiltypes.AppGenesis, appState map[string]json.RawMessage) {
		editModuleGenesis(t, cdc, appState, computetypes.ModuleName, &computetypes.GenesisState{},
			func(s *computetypes.GenesisState) { edit(&s.Params) })
	}
}

// withPoaAdmin sets params.admin of x/poa.
func withPoaAdmin(admin string) genesisMutator {
	return func(t testing.TB, cdc codec.JSONCodec, _ *genutiltypes.AppGenesis, appState map[string]json.RawMessage) {
		editModuleGenesis(t, cdc, appState, poatypes.ModuleName, &poatypes.GenesisState{},
			func(s *poatypes.GenesisState) { s.Params.Admin = admin })
	}
}

// marketTestParams are TestComputeLifecycle's x/compute params: a 3-block
// dispute window, 5% slashed on a time-out, a 2% protocol fee and a
// 100,000,000 uait minimum bond.
func marketTestParams(p *computetypes.Params) {
	p.DisputeWindowBlocks = 3
	p.TimeoutSlashBps = 500
	p.ProtocolFeeBps = 200
	p.MinProviderBond = sdkmath.NewInt(100_000_000)
}

// withGovVotingPeriods sets gov's voting (and deposit) period and its
// expedited voting period.
func withGovVotingPeriods(voting, expedited time.Duration) genesisMutator {
	return func(t testing.TB, cdc codec.JSONCodec, _ *genutiltypes.AppGenesis, appState map[string]json.RawMessage) {
		editModuleGenesis(t, cdc, appState, govtypes.ModuleName, &govv1.GenesisState{}, func(s *govv1.GenesisState) {
			s.Params.VotingPeriod, s.Params.MaxDepositPeriod, s.Params.ExpeditedVotingPeriod = &voting, &voting, &expedited
		})
	}
}

// withEvidenceMaxAgeBlocks sets the consensus params' evidence.max_age_num_blocks,
// which also bounds how far back a node may prune its blocks.
func withEvidenceMaxAgeBlocks(blocks int64) genesisMutator {
	return func(_ testing.TB, _ codec.JSONCodec, g *genutiltypes.AppGenesis, _ map[string]json.RawMessage) {
		g.Consensus.Params.Evidence.MaxAgeNumBlocks = blocks
	}
}
