package keyguard

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/privval"
)

const prefix = "aitvalcons"

func TestParseAddressForms(t *testing.T) {
	want := "F123278AFAF61E89CA6730771ECD1FF70883772B"
	for _, in := range []string{
		want,
		"0x" + want,
		strings.ToLower(want),
		" 0X" + want + "\n",
		"aitvalcons17y3j0zh67c0gnjn8xpm3angl7uygxaetlgaune",
	} {
		addr, err := ParseAddress(in, prefix)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if addr.String() != want {
			t.Fatalf("%q parsed as %s, want %s", in, addr, want)
		}
	}
	for in, msg := range map[string]string{
		"":                             "empty address",
		"xyz":                          "want 40 hex digits",
		"F123278AFAF61E89CA6730771ECD": "want 40 hex digits",
		"0x" + want + "00":             "want 40 hex digits",
		// An operator address is not a consensus address.
		"aitvaloper1dd2l0gg8ur7v2j8dqdw6fqq4a2a6p8fsfvv9nh":    "neither hex nor valid bech32",
		"cosmosvalcons1ll3ljvhc2jhxjp5qclmvx2qfzpryh9x5vl7gum": "neither hex nor valid bech32",
	} {
		_, err := ParseAddress(in, prefix)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Fatalf("%q: error %v, want one containing %q", in, err, msg)
		}
	}
	// A well-formed bech32 string with another prefix is named as such.
	other := Bech32(mustParse(t, want), "aitvaloper")
	if _, err := ParseAddress(other, prefix); err == nil || !strings.Contains(err.Error(), `prefix "aitvaloper"`) {
		t.Fatalf("%s: error %v, want it to name the prefix", other, err)
	}
}

func mustParse(t *testing.T, s string) []byte {
	t.Helper()
	a, err := ParseAddress(s, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// newHome is a CometBFT home with a fresh consensus key (0600, as CometBFT writes it).
func newHome(t *testing.T) (*cmtcfg.Config, *privval.FilePV) {
	t.Helper()
	cfg := cmtcfg.DefaultConfig()
	cfg.SetRoot(t.TempDir())
	for _, d := range []string{"config", "data"} {
		if err := os.MkdirAll(filepath.Join(cfg.RootDir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	pv := privval.GenFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	pv.Save()
	return cfg, pv
}

func check(t *testing.T, cfg *cmtcfg.Config, want string) (Decision, error) {
	t.Helper()
	return Check(context.Background(), Options{Config: cfg, ChainID: "c", ConsPrefix: prefix, Want: want,
		SignerWait: 2 * time.Second, Now: time.Now(), Logger: log.NewNopLogger()})
}

func TestCheckLocalKey(t *testing.T) {
	cfg, pv := newHome(t)
	other := privval.GenFilePV(filepath.Join(t.TempDir(), "k"), filepath.Join(t.TempDir(), "s")).GetAddress()

	d, err := check(t, cfg, "")
	if err != nil || d.Address.String() != pv.GetAddress().String() || d.Remote {
		t.Fatalf("unset VALIDATOR_ADDRESS: %+v, %v", d, err)
	}
	for _, want := range []string{pv.GetAddress().String(), "0x" + pv.GetAddress().String(), Bech32(pv.GetAddress(), prefix)} {
		if _, err := check(t, cfg, want); err != nil {
			t.Fatalf("VALIDATOR_ADDRESS=%s, the node's own key: %v", want, err)
		}
	}

	_, err = check(t, cfg, other.String())
	for _, part := range []string{"VALIDATOR_ADDRESS=" + other.String(), Bech32(other, prefix),
		pv.GetAddress().String(), Bech32(pv.GetAddress(), prefix), cfg.PrivValidatorKeyFile()} {
		if err == nil || !strings.Contains(err.Error(), part) {
			t.Fatalf("another address: error %v, want it to name %s", err, part)
		}
	}
	if _, err := check(t, cfg, "0xnothex"); err == nil || !strings.Contains(err.Error(), "invalid VALIDATOR_ADDRESS") {
		t.Fatalf("bad syntax: %v", err)
	}

	// No key file yet: nothing to compare, unless an address is demanded.
	if err := os.Remove(cfg.PrivValidatorKeyFile()); err != nil {
		t.Fatal(err)
	}
	if d, err := check(t, cfg, ""); err != nil || d.Address != nil {
		t.Fatalf("no key file: %+v, %v", d, err)
	}
	if _, err := check(t, cfg, other.String()); err == nil || !strings.Contains(err.Error(), "no consensus key yet") {
		t.Fatalf("no key file, VALIDATOR_ADDRESS set: %v", err)
	}
}

func TestCheckRefusesAWorldReadableKey(t *testing.T) {
	cfg, _ := newHome(t)
	for mode, refused := range map[os.FileMode]bool{0o600: false, 0o640: false, 0o400: false, 0o644: true, 0o604: true, 0o602: true} {
		if err := os.Chmod(cfg.PrivValidatorKeyFile(), mode); err != nil {
			t.Fatal(err)
		}
		_, err := check(t, cfg, "")
		if refused != (err != nil) {
			t.Fatalf("mode %04o: error %v, refused %v", mode, err, refused)
		}
		if refused && !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("mode %04o: %v does not say how to fix it", mode, err)
		}
	}
	// A remote signer's node never reads the local file, so it is not checked.
	if err := os.Chmod(cfg.PrivValidatorKeyFile(), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.PrivValidatorListenAddr = "tcp://127.0.0.1:0"
	if _, err := check(t, cfg, ""); err == nil || !strings.Contains(err.Error(), "no remote signer dialed") {
		t.Fatalf("remote signer that never dials: error %v, want the wait's, not the key file's", err)
	}
}

func TestCheckEmptyStoreKeepsTheLookback(t *testing.T) {
	cfg, _ := newHome(t)
	cfg.Consensus.DoubleSignCheckHeight = DefaultDoubleSignCheckHeight
	d, err := check(t, cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	if d.Excused != "" || len(d.OwnHeights) != 0 || cfg.Consensus.DoubleSignCheckHeight != DefaultDoubleSignCheckHeight {
		t.Fatalf("a node with an empty block store (a fresh node, a copied key) must keep the lookback: %+v, lookback %d",
			d, cfg.Consensus.DoubleSignCheckHeight)
	}
}

func TestQuickRestart(t *testing.T) {
	if got := QuickRestart(10, time.Second); got != time.Minute {
		t.Fatalf("10 blocks of 1s: %s, want the 1m floor", got)
	}
	if got := QuickRestart(10, 5*time.Second); got != 100*time.Second {
		t.Fatalf("10 blocks of 5s: %s, want 100s", got)
	}
}
