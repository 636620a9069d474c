package types_test

import (
	"testing"

	sdkmath "cosmossdk.io/math"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"

	_ "github.com/aitbc/chain/app" // ait address prefixes
	"github.com/aitbc/chain/x/compute/types"
)

func TestGenesisValidate(t *testing.T) {
	key := secp256k1.GenPrivKeyFromSecret([]byte("worker"))
	pk, err := codectypes.NewAnyWithValue(key.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	owner := sdk.AccAddress(key.PubKey().Address()).String()
	client := sdk.AccAddress(secp256k1.GenPrivKeyFromSecret([]byte("client")).PubKey().Address()).String()
	hash := "0000000000000000000000000000000000000000000000000000000000000000"
	good := func() types.GenesisState {
		return types.GenesisState{
			Params: types.DefaultParams(),
			Providers: []types.Provider{{
				Owner: owner, Pubkey: pk, Models: []string{"m"}, PricePerUnit: sdkmath.NewInt(5),
				Bond: sdkmath.NewInt(100), Status: types.ProviderActive, ActiveJobs: 1,
			}},
			Jobs: []types.Job{
				{Id: 1, Client: client, InputHash: hash, Escrow: sdkmath.NewInt(50), MaxPricePerUnit: sdkmath.NewInt(5), PricePerUnit: sdkmath.NewInt(5), State: types.JobAssigned, Provider: owner},
				{Id: 2, Client: client, InputHash: hash, Escrow: sdkmath.NewInt(70), MaxPricePerUnit: sdkmath.NewInt(7), PricePerUnit: sdkmath.ZeroInt(), State: types.JobSettled},
			},
			NextJobId: 3,
		}
	}
	g := good()
	if err := g.Validate(); err != nil {
		t.Fatalf("valid genesis rejected: %v", err)
	}
	if escrow, bonds := g.Totals(); !escrow.Equal(sdkmath.NewInt(50)) || !bonds.Equal(sdkmath.NewInt(100)) {
		t.Fatalf("totals %s %s, want 50 (settled jobs hold nothing) and 100", escrow, bonds)
	}
	if err := types.DefaultGenesis().Validate(); err != nil {
		t.Fatalf("default genesis rejected: %v", err)
	}
	cases := map[string]func(*types.GenesisState){
		"fee above 100%":            func(g *types.GenesisState) { g.Params.ProtocolFeeBps = 10_001 },
		"no dispute window":         func(g *types.GenesisState) { g.Params.DisputeWindowBlocks = 0 },
		"unbounded end block":       func(g *types.GenesisState) { g.Params.MaxEndBlockOps = 0 },
		"bad owner":                 func(g *types.GenesisState) { g.Providers[0].Owner = "x" },
		"duplicate provider":        func(g *types.GenesisState) { g.Providers = append(g.Providers, g.Providers[0]) },
		"provider without key":      func(g *types.GenesisState) { g.Providers[0].Pubkey = nil },
		"negative bond":             func(g *types.GenesisState) { g.Providers[0].Bond = sdkmath.NewInt(-1) },
		"wrong active job count":    func(g *types.GenesisState) { g.Providers[0].ActiveJobs = 0 },
		"job id zero":               func(g *types.GenesisState) { g.Jobs[0].Id = 0 },
		"job id not issued":         func(g *types.GenesisState) { g.NextJobId = 2 },
		"duplicate job id":          func(g *types.GenesisState) { g.Jobs[1].Id = 1 },
		"malformed input hash":      func(g *types.GenesisState) { g.Jobs[0].InputHash = "xyz" },
		"assigned to nobody":        func(g *types.GenesisState) { g.Jobs[0].Provider = client },
		"delivered without receipt": func(g *types.GenesisState) { g.Jobs[0].State = types.JobDelivered },
		"unknown state":             func(g *types.GenesisState) { g.Jobs[1].State = 42 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			g := good()
			mutate(&g)
			if err := g.Validate(); err == nil {
				t.Fatal("invalid genesis accepted")
			}
		})
	}
}

func TestReceiptSignBytesAreStable(t *testing.T) {
	got := string(types.ReceiptSignBytes("ait-devnet-1", 7, "ab", 42, sdkmath.NewInt(1500)))
	want := "aitbc-compute-receipt/v1\nchain_id:ait-devnet-1\njob_id:7\noutput_hash:ab\ncompute_units:42\nprice_per_unit:1500\n"
	if got != want {
		t.Fatalf("sign bytes changed: workers in the field would stop verifying\n got %q\nwant %q", got, want)
	}
}
