package cmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	sdk "github.com/cosmos/cosmos-sdk/types"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"

	"github.com/aitbc/chain/app"
)

func TestPrepareDevnetCreatesOnceThenResumes(t *testing.T) {
	home := filepath.Join(t.TempDir(), "devnet")
	created, err := PrepareDevnet(home, ConsensusModeHybrid)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Fatal("first PrepareDevnet did not create the devnet")
	}
	genesisFile := filepath.Join(home, "config", "genesis.json")
	first, err := os.ReadFile(genesisFile)
	if err != nil {
		t.Fatal(err)
	}

	created, err = PrepareDevnet(home, ConsensusModeHybrid)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(genesisFile)
	if created || !bytes.Equal(first, second) {
		t.Fatal("second PrepareDevnet recreated the devnet")
	}

	genesis, err := genutiltypes.AppGenesisFromFile(genesisFile)
	if err != nil {
		t.Fatal(err)
	}
	if genesis.ChainID != DevnetChainID {
		t.Fatalf("chain id %q", genesis.ChainID)
	}
	if genesis.Consensus.Params.Block.MaxGas != app.BlockMaxGas || genesis.Consensus.Params.Block.MaxBytes != app.BlockMaxBytes {
		t.Fatalf("consensus block params %+v are not AITBC's", genesis.Consensus.Params.Block)
	}
	var state struct {
		Bank struct {
			Balances []struct {
				Coins []struct{ Denom, Amount string }
			}
		}
		Genutil struct {
			GenTxs []json.RawMessage `json:"gen_txs"`
		}
		Poa struct {
			Params struct{ Mode string }
		}
	}
	if err := json.Unmarshal(genesis.AppState, &state); err != nil {
		t.Fatal(err)
	}
	if state.Poa.Params.Mode != "MODE_HYBRID" {
		t.Fatalf("devnet genesis mode %q, want the requested MODE_HYBRID", state.Poa.Params.Mode)
	}
	if len(state.Genutil.GenTxs) != 1 {
		t.Fatalf("%d gentxs, want the validator's one", len(state.Genutil.GenTxs))
	}
	// Every devnet account is funded; the self-delegation is bonded when the gentx runs at InitChain.
	if len(state.Bank.Balances) != len(DevnetAccounts) {
		t.Fatalf("%d balances in genesis, want %d", len(state.Bank.Balances), len(DevnetAccounts))
	}

	// No staging directory is left behind.
	entries, _ := os.ReadDir(filepath.Dir(home))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".creating-") {
			t.Fatalf("staging directory %s left behind", e.Name())
		}
	}
}

func TestPrepareDevnetRefusesForeignDirectory(t *testing.T) {
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "precious.txt"), []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := PrepareDevnet(home, ConsensusModeHybrid); err == nil || !strings.Contains(err.Error(), "--reset") {
		t.Fatalf("want a refusal that mentions --reset, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(home, "precious.txt")); err != nil {
		t.Fatal("a foreign file was removed")
	}
}

// The README publishes each devnet key's address next to its mnemonic; they must agree.
func TestReadmeListsDevnetAddresses(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	app.SetAddressConfig()
	for _, acc := range DevnetAccounts {
		priv, err := hd.Secp256k1.Derive()(acc.Mnemonic, "", sdk.GetConfig().GetFullBIP44Path())
		if err != nil {
			t.Fatal(err)
		}
		addr := sdk.AccAddress(hd.Secp256k1.Generate()(priv).PubKey().Address()).String()
		row := "| " + acc.Name + " | `" + addr + "` |"
		if !strings.Contains(string(readme), row) || !strings.Contains(string(readme), acc.Mnemonic) {
			t.Errorf("README does not list %s as %s with its mnemonic", acc.Name, addr)
		}
	}
}
