package system

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const testChainID = "ait-systest-1"

// initChain makes a one-validator chain the way an operator would: init,
// keys add, add-genesis-account, gentx, collect-gentxs.
func initChain(t testing.TB) *node {
	t.Helper()
	n := newNode(t, t.TempDir())
	n.chainID = testChainID
	n.mustCLI("init", "systest-validator", "--chain-id", testChainID)
	for _, name := range []string{"validator", "alice", "bob"} {
		n.mustCLI("keys", "add", name, "--output", "json")
		n.mustCLI("genesis", "add-genesis-account", name, "1000000000000"+denom)
	}
	n.mustCLI("genesis", "gentx", "validator", "100000000000"+denom)
	n.mustCLI("genesis", "collect-gentxs")
	n.mustCLI("genesis", "validate")
	return n
}

func TestInitWritesDeliberateGenesisAndConfig(t *testing.T) {
	t.Parallel() // its own network; runs beside the others
	n := initChain(t)
	raw, err := os.ReadFile(filepath.Join(n.home, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	var genesis struct {
		Consensus struct {
			Params struct {
				Block struct {
					MaxBytes string `json:"max_bytes"`
					MaxGas   string `json:"max_gas"`
				} `json:"block"`
			} `json:"params"`
		} `json:"consensus"`
		AppState struct {
			Staking struct {
				Params struct {
					BondDenom string `json:"bond_denom"`
				} `json:"params"`
			} `json:"staking"`
		} `json:"app_state"`
	}
	if err := json.Unmarshal(raw, &genesis); err != nil {
		t.Fatal(err)
	}
	if got := genesis.Consensus.Params.Block.MaxBytes; got != "4194304" {
		t.Errorf("block.max_bytes = %s, want 4194304", got)
	}
	if got := genesis.Consensus.Params.Block.MaxGas; got != "100000000" {
		t.Errorf("block.max_gas = %s, want 100000000", got)
	}
	if got := genesis.AppState.Staking.Params.BondDenom; got != denom {
		t.Errorf("staking bond_denom = %q, want %q", got, denom)
	}
	appToml, err := os.ReadFile(filepath.Join(n.home, "config", "app.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(appToml), `minimum-gas-prices = "0.025uait"`) {
		t.Error("app.toml does not enforce the default minimum gas price 0.025uait")
	}
	configToml, err := os.ReadFile(filepath.Join(n.home, "config", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`timeout_commit = "1s"`, `pprof_laddr = ""`} {
		if !strings.Contains(string(configToml), want) {
			t.Errorf("config.toml lacks %s", want)
		}
	}
	if addr := n.keyAddress("alice"); !strings.HasPrefix(addr, "ait1") {
		t.Errorf("account address %q lacks the ait prefix", addr)
	}
}

// TestChainLifecycle: blocks, a transfer seen through the CLI and CometBFT RPC,
// rejected bad transactions, and a SIGTERM restart that keeps every balance.
func TestChainLifecycle(t *testing.T) {
	t.Parallel() // its own network; runs beside the others
	n := initChain(t)
	startArgs := append([]string{"start", "--home", n.home}, n.startArgs()...)
	n.start(nil, startArgs...)
	n.waitForHeight(3, 90*time.Second)

	alice, bob := n.keyAddress("alice"), n.keyAddress("bob")
	aliceBefore, bobBefore := n.balanceCLI(alice), n.balanceCLI(bob)

	res, err := n.send("alice", bob, "1234567"+denom)
	if err != nil {
		t.Fatal(err)
	}
	n.awaitTxCommitted(res, 30*time.Second)

	wantBob := bobBefore.AddRaw(1234567)
	wantAlice := aliceBefore.SubRaw(1234567).Sub(mustInt(t, strings.TrimSuffix(txFee, denom)))
	if got := n.balanceCLI(bob); !got.Equal(wantBob) {
		t.Errorf("bob (CLI) = %s, want %s", got, wantBob)
	}
	if got := n.balanceRPC(bob); !got.Equal(wantBob) {
		t.Errorf("bob (CometBFT abci_query) = %s, want %s", got, wantBob)
	}
	if got := n.balanceCLI(alice); !got.Equal(wantAlice) {
		t.Errorf("alice (CLI) = %s, want %s (amount and fee deducted)", got, wantAlice)
	}

	t.Run("invalid recipient address is refused by the CLI", func(t *testing.T) {
		_, err := n.send("alice", "ait1notanaddress", "1"+denom)
		if err == nil || !strings.Contains(err.Error(), "bech32") {
			t.Fatalf("want a bech32 address error, got %v", err)
		}
	})

	t.Run("invalid recipient inside a signed tx fails with an address error", func(t *testing.T) {
		unsigned := n.mustCLI("tx", "bank", "send", "alice", bob, "1"+denom, "--fees", txFee, "--generate-only")
		tampered := strings.Replace(unsigned, bob, "ait1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", 1)
		unsignedFile := filepath.Join(t.TempDir(), "unsigned.json")
		if err := os.WriteFile(unsignedFile, []byte(tampered), 0o600); err != nil {
			t.Fatal(err)
		}
		signed := n.mustCLI("tx", "sign", unsignedFile, "--from", "alice")
		signedFile := filepath.Join(t.TempDir(), "signed.json")
		if err := os.WriteFile(signedFile, []byte(signed), 0o600); err != nil {
			t.Fatal(err)
		}
		res := parseTxResult(t, n.mustCLI("tx", "broadcast", signedFile, "--output", "json"))
		code, log := res.Code, res.RawLog
		if code == 0 {
			tx := n.waitForTx(res.TxHash, 30*time.Second)
			code, log = tx.Code, tx.Log
		}
		if code == 0 || !strings.Contains(log, "address") {
			t.Fatalf("want the invalid address rejected, got code %d: %s", code, log)
		}
	})

	t.Run("insufficient fee is refused by CheckTx", func(t *testing.T) {
		res, err := n.send("alice", bob, "1"+denom, "--fees", "1"+denom)
		if err != nil {
			t.Fatal(err)
		}
		if res.Code != 13 || !strings.Contains(res.RawLog, "insufficient fee") {
			t.Fatalf("want code 13 insufficient fee, got code %d: %s", res.Code, res.RawLog)
		}
	})

	t.Run("wrong chain id fails signature verification", func(t *testing.T) {
		res, err := n.send("alice", bob, "1"+denom, "--chain-id", "ait-wrong-1")
		if err != nil {
			t.Fatal(err)
		}
		if res.Code != 4 || !strings.Contains(res.RawLog, "chain-id") {
			t.Fatalf("want code 4 naming the chain-id, got code %d: %s", res.Code, res.RawLog)
		}
	})

	// None of the bad transactions stopped the chain.
	h, err := n.height()
	if err != nil {
		t.Fatal(err)
	}
	n.waitForHeight(h+2, 30*time.Second)

	// A graceful stop, then a restart from disk.
	bobAfter, aliceAfter := n.balanceCLI(bob), n.balanceCLI(alice)
	lastHeight, err := n.height()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, n.logTail())
	}
	n.start(nil, startArgs...)
	n.waitForHeight(lastHeight+2, 90*time.Second)
	if got := n.balanceCLI(bob); !got.Equal(bobAfter) {
		t.Errorf("after restart bob = %s, want %s", got, bobAfter)
	}
	if got := n.balanceCLI(alice); !got.Equal(aliceAfter) {
		t.Errorf("after restart alice = %s, want %s", got, aliceAfter)
	}
}

func TestVersionShowsCommit(t *testing.T) {
	out, err := exec.Command(aitbcdBin, "version", "--long", "--output", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Name   string `json:"name"`
		Commit string `json:"commit"`
		SDK    string `json:"cosmos_sdk_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("decoding %s: %v", out, err)
	}
	if v.Name != "aitbc" || len(v.Commit) != 40 || v.SDK != "v0.55.0" {
		t.Fatalf("version --long = %+v, want name aitbc, a 40-hex git commit and SDK v0.55.0", v)
	}
}
