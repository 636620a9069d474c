package types_test

import (
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"

	_ "github.com/aitbc/chain/app" // ait address prefixes
	"github.com/aitbc/chain/x/poa/types"
)

func TestGenesisValidate(t *testing.T) {
	acc := sdk.AccAddress(secp256k1.GenPrivKeyFromSecret([]byte("a")).PubKey().Address()).String()
	val := sdk.ValAddress(secp256k1.GenPrivKeyFromSecret([]byte("v")).PubKey().Address()).String()
	good := func() types.GenesisState {
		return types.GenesisState{
			Params:         types.DefaultParams(),
			AllowList:      []string{acc},
			PendingChanges: []types.PendingChange{{Sequence: 1, ValidatorAddress: val, TargetPower: 10}},
			NextSequence:   2,
		}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("valid genesis rejected: %v", err)
	}
	if err := types.DefaultGenesis().Validate(); err != nil {
		t.Fatalf("default genesis rejected: %v", err)
	}
	cases := map[string]func(*types.GenesisState){
		"mode unspecified":    func(g *types.GenesisState) { g.Params.Mode = types.ModeUnspecified },
		"cap of a third":      func(g *types.GenesisState) { g.Params.MaxPowerChangeBps = 3334 },
		"cap zero":            func(g *types.GenesisState) { g.Params.MaxPowerChangeBps = 0 },
		"bad admin":           func(g *types.GenesisState) { g.Params.Admin = "ait1nope" },
		"bad allow-list":      func(g *types.GenesisState) { g.AllowList = []string{"x"} },
		"duplicate allow":     func(g *types.GenesisState) { g.AllowList = []string{acc, acc} },
		"bad validator":       func(g *types.GenesisState) { g.PendingChanges[0].ValidatorAddress = acc },
		"power overflow":      func(g *types.GenesisState) { g.PendingChanges[0].TargetPower = types.MaxValidatorPower + 1 },
		"negative power":      func(g *types.GenesisState) { g.PendingChanges[0].TargetPower = -1 },
		"sequence zero":       func(g *types.GenesisState) { g.PendingChanges[0].Sequence = 0 },
		"sequence not issued": func(g *types.GenesisState) { g.PendingChanges[0].Sequence = 2 },
		"next sequence zero":  func(g *types.GenesisState) { g.NextSequence = 0; g.PendingChanges = nil },
		"two changes for one validator": func(g *types.GenesisState) {
			g.PendingChanges = append(g.PendingChanges, types.PendingChange{Sequence: 2, ValidatorAddress: val, TargetPower: 1})
			g.NextSequence = 3
		},
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

func TestParseMode(t *testing.T) {
	for in, want := range map[string]types.Mode{"poa": types.ModePoA, "HYBRID": types.ModeHybrid, "pos": types.ModePoS} {
		if got, err := types.ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := types.ParseMode("dpos"); err == nil || !strings.Contains(err.Error(), "poa, hybrid or pos") {
		t.Errorf("ParseMode(dpos) error %v does not list the choices", err)
	}
}
