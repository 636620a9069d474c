package system

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The devnet's funded keys, from cmd/aitbcd/cmd/devnet_accounts.go.
const (
	devnetAlice = "ait1tp6tkpuvk3v00pzufet3jdzp5r48plj7d3m4g9"
	devnetBob   = "ait1ljswj6mr4kngyjh73ahe542c82r6gka3yqa9xj"
)

// TestDevnet covers the "done means" of the one-command devnet: created once
// and resumed after, height 5 soon after start, a CLI transfer visible within
// two blocks, and a kill -9 that loses no committed balance.
func TestDevnet(t *testing.T) {
	t.Parallel() // its own network; runs beside the others
	n := newNode(t, filepath.Join(t.TempDir(), "devnet"))

	if out := n.mustCLI("devnet", "--no-start"); !strings.Contains(out, "(created)") {
		t.Fatalf("first devnet run did not create the chain:\n%s", out)
	}
	genesisFile := filepath.Join(n.home, "config", "genesis.json")
	genesis, err := os.ReadFile(genesisFile)
	if err != nil {
		t.Fatal(err)
	}
	if out := n.mustCLI("devnet", "--no-start"); !strings.Contains(out, "(resuming)") {
		t.Fatalf("second devnet run did not resume:\n%s", out)
	}
	if again, _ := os.ReadFile(genesisFile); !bytes.Equal(genesis, again) {
		t.Fatal("a second devnet run rewrote the genesis")
	}
	if got := n.keyAddress("alice"); got != devnetAlice {
		t.Fatalf("alice is %s, want the documented %s", got, devnetAlice)
	}

	devnetArgs := append([]string{"devnet", "--home", n.home, "--"}, n.startArgs()...)
	started := time.Now()
	n.start(nil, devnetArgs...)
	n.waitForHeight(5, 60*time.Second)
	t.Logf("devnet reached height 5 %.1fs after the process started", time.Since(started).Seconds())

	bobBefore := n.balanceCLI(devnetBob)
	submitHeight, err := n.height()
	if err != nil {
		t.Fatal(err)
	}
	res, err := n.send("alice", devnetBob, "777"+denom)
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 {
		t.Fatalf("bank send rejected: code %d: %s", res.Code, res.RawLog)
	}
	want := bobBefore.AddRaw(777)
	for {
		visible := n.balanceCLI(devnetBob).Equal(want)
		h, err := n.height() // read after the balance: the balance was visible by h
		if err != nil {
			t.Fatal(err)
		}
		if visible {
			t.Logf("transfer sent at height %d visible at height %d", submitHeight, h)
			break
		}
		if h > submitHeight+2 {
			t.Fatalf("transfer sent at height %d not visible by height %d", submitHeight, h)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// kill -9, then `devnet` again: same chain, same balances, height continues.
	lastSeen, err := n.height()
	if err != nil {
		t.Fatal(err)
	}
	_ = n.stop(syscall.SIGKILL)
	n.start([]string{"BLOCK_TIME=2s"}, devnetArgs...)
	n.waitForHeight(lastSeen, 60*time.Second)
	if got := n.balanceCLI(devnetBob); !got.Equal(want) {
		t.Fatalf("after kill -9 bob = %s, want %s", got, want)
	}

	// BLOCK_TIME=2s took effect: block times are at least ~2s apart. Only a
	// lower bound is checked, which a slow machine cannot break.
	from := n.waitForHeight(lastSeen+1, 60*time.Second)
	n.waitForHeight(from+3, 60*time.Second)
	if gap := n.blockTime(from+3).Sub(n.blockTime(from)) / 3; gap < 1800*time.Millisecond {
		t.Fatalf("with BLOCK_TIME=2s blocks are %s apart", gap)
	}
}

// blockTime is the header time of block h, from CometBFT RPC /block.
func (n *node) blockTime(h int64) time.Time {
	n.t.Helper()
	return n.block(h).Block.Time
}

// TestSeedEnvironmentValidation: a bad seed variable stops start-up with a
// message naming it.
func TestSeedEnvironmentValidation(t *testing.T) {
	home := filepath.Join(t.TempDir(), "devnet")
	cases := []struct {
		env, name string
		args      []string
	}{
		{"BLOCK_TIME=fast", "BLOCK_TIME", []string{"devnet", "--home", home, "--no-start"}},
		{"BLOCK_TIME=-1s", "BLOCK_TIME", []string{"start", "--home", home}},
		{"LOG_LEVEL=loud", "LOG_LEVEL", []string{"start", "--home", home}},
		{"LOG_LEVEL=loud", "LOG_LEVEL", []string{"devnet", "--home", home}},
		{"LOG_FORMAT=yaml", "LOG_FORMAT", []string{"start", "--home", home}},
		{"LOG_FORMAT=JSON", "LOG_FORMAT", []string{"devnet", "--home", home, "--no-start"}},
		{"RPC_PORT=http", "RPC_PORT", []string{"start", "--home", home}},
		{"WS_PORT=0", "WS_PORT", []string{"start", "--home", home}},
		{"METRICS_PORT=70000", "METRICS_PORT", []string{"start", "--home", home}},
		{"RPC_HOST=not a host", "RPC_HOST", []string{"start", "--home", home}},
		{"RPC_PORT=http", "RPC_PORT", []string{"facade"}},
	}
	for _, c := range cases {
		cmd := exec.Command(aitbcdBin, c.args...)
		cmd.Env = append(os.Environ(), c.env)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%s aitbcd %s: succeeded, want a failure", c.env, strings.Join(c.args, " "))
			continue
		}
		if !strings.Contains(string(out), c.name) {
			t.Errorf("%s aitbcd %s: error does not name %s:\n%s", c.env, strings.Join(c.args, " "), c.name, out)
		}
	}
}

// TestEnvPrefixWhateverTheBinaryIsCalled: the SDK names its environment
// overrides after the executable's file name; AITBCD_ variables must still
// apply when the binary is installed under another name (aitbcd-v2 beside
// aitbcd during an upgrade).
func TestEnvPrefixWhateverTheBinaryIsCalled(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	runBin(t, nil, "init", "envprefix", "--home", home)
	want := strings.TrimSpace(runBin(t, nil, "comet", "show-node-id", "--home", home))

	renamed := filepath.Join(dir, "aitbcd-v2")
	raw, err := os.ReadFile(aitbcdBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(renamed, raw, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(renamed, "comet", "show-node-id")
	// HOME too: whatever the command would write to a default home stays in dir.
	cmd.Env = append(os.Environ(), "HOME="+dir, "AITBCD_HOME="+home)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aitbcd-v2 comet show-node-id with AITBCD_HOME: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != want {
		t.Fatalf("aitbcd-v2 with AITBCD_HOME=%s printed node ID %q, want %q (the home's): the AITBCD_ variable was ignored", home, got, want)
	}
}
