package signer

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/privval"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

const chainID = "ait-test-1"

// node is the node's side of the wire: CometBFT's own listener endpoint and
// signer client, as `aitbcd start` runs them with priv_validator_laddr set.
type node struct {
	endpoint *privval.SignerListenerEndpoint
	client   *privval.SignerClient
}

func listen(t *testing.T, addr string) *node {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ep := privval.NewSignerListenerEndpoint(log.NewNopLogger(), privval.NewTCPListener(ln, ed25519.GenPrivKey()))
	c, err := privval.NewSignerClient(ep, chainID)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForConnection(10 * time.Second); err != nil {
		t.Fatalf("the signer did not dial %s: %v", addr, err)
	}
	n := &node{ep, c}
	t.Cleanup(n.stop)
	return n
}

func (n *node) stop() {
	if n.endpoint.IsRunning() {
		_ = n.endpoint.Stop()
	}
}

// home writes a key and an empty sign state as a node home holds them.
func home(t *testing.T) Config {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"config", "data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	keyFile, stateFile := filepath.Join(dir, "config", "priv_validator_key.json"), filepath.Join(dir, "data", "priv_validator_state.json")
	privval.GenFilePV(keyFile, stateFile).Save()
	return Config{KeyFile: keyFile, StateFile: stateFile, ChainID: chainID, Logger: log.NewNopLogger(),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// run starts the signer and returns a function that stops it and waits.
func run(t *testing.T, cfg Config) (*Signer, func() error) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return fmt.Errorf("signer did not stop within 10s")
		}
	}
	t.Cleanup(func() { _ = stop() })
	return s, stop
}

func prevote(height int64, block byte) *cmtproto.Vote {
	hash := make([]byte, 32)
	hash[0] = block
	return &cmtproto.Vote{
		Type: cmtproto.PrevoteType, Height: height, Round: 0,
		BlockID:   cmtproto.BlockID{Hash: hash, PartSetHeader: cmtproto.PartSetHeader{Total: 1, Hash: hash}},
		Timestamp: time.Now().UTC(), ValidatorAddress: make([]byte, 20),
	}
}

func TestSignerSignsReconnectsAndNeverSignsTwice(t *testing.T) {
	cfg := home(t)
	addr := freeAddr(t)
	cfg.Node = "tcp://" + addr
	s, stop := run(t, cfg)

	n := listen(t, addr)
	pub, err := n.client.GetPubKey()
	if err != nil || !bytes.Equal(pub.Address(), s.Address()) {
		t.Fatalf("pubkey %v (%v), want the key of %s", pub, err, cfg.KeyFile)
	}
	v := prevote(5, 1)
	if err := n.client.SignVote(chainID, v); err != nil {
		t.Fatal(err)
	}
	if !pub.VerifySignature(types.VoteSignBytes(chainID, v), v.Signature) {
		t.Fatal("the signature does not verify")
	}
	if h, _, _ := s.LastSigned(); h != 5 {
		t.Fatalf("last signed height %d, want 5", h)
	}
	saved, err := os.ReadFile(cfg.StateFile)
	if err != nil || !strings.Contains(string(saved), `"height": "5"`) {
		t.Fatalf("sign state on disk: %s (%v), want height 5", saved, err)
	}

	// The node restarts: the signer dials the new listener by itself.
	n.stop()
	n = listen(t, addr)
	// A conflicting vote at the signed height, as a second node or a
	// confused one would ask for: refused.
	if err := n.client.SignVote(chainID, prevote(5, 2)); err == nil || !strings.Contains(err.Error(), "conflicting data") {
		t.Fatalf("conflicting prevote at height 5 after the reconnect: %v, want a refusal", err)
	}
	if err := n.client.SignVote(chainID, prevote(6, 1)); err != nil {
		t.Fatalf("height 6 after the reconnect: %v", err)
	}
	if err := n.client.SignVote("another-chain", prevote(7, 1)); err == nil {
		t.Fatal("signed for another chain")
	}

	// The signer restarts: the state on disk still forbids height 6's twin.
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	s2, _ := run(t, cfg)
	if h, _, _ := s2.LastSigned(); h != 6 {
		t.Fatalf("restarted signer loaded height %d, want 6", h)
	}
	n.stop()
	n = listen(t, addr)
	if err := n.client.SignVote(chainID, prevote(6, 3)); err == nil {
		t.Fatal("a restarted signer signed a conflicting vote at the height it had signed")
	}
	if err := n.client.SignVote(chainID, prevote(7, 1)); err != nil {
		t.Fatalf("height 7 after the signer's restart: %v", err)
	}
}

func TestSignerRefusesUnsafeStarts(t *testing.T) {
	cfg := home(t)
	cfg.Node = "tcp://127.0.0.1:1"

	bad := cfg
	bad.ChainID = ""
	if _, err := New(bad); err == nil || !strings.Contains(err.Error(), "--chain-id") {
		t.Fatalf("no chain id: %v", err)
	}
	bad = cfg
	bad.Node = "http://127.0.0.1:1"
	if _, err := New(bad); err == nil || !strings.Contains(err.Error(), "--node") {
		t.Fatalf("bad node address: %v", err)
	}

	if err := os.Chmod(cfg.KeyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key: %v", err)
	}
	if err := os.Chmod(cfg.KeyFile, 0o600); err != nil {
		t.Fatal(err)
	}

	// A key without its state could sign again what it signed before.
	if err := os.Remove(cfg.StateFile); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "no sign state") {
		t.Fatalf("missing state: %v", err)
	}
	cfg.NewState = true
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("missing state with NewState: %v", err)
	}
	if h, _, _ := s.LastSigned(); h != 0 {
		t.Fatalf("new state at height %d", h)
	}
	if _, err := os.Stat(cfg.StateFile); err != nil {
		t.Fatalf("NewState wrote no state file: %v", err)
	}

	if err := os.WriteFile(cfg.StateFile, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), cfg.StateFile) {
		t.Fatalf("corrupt state: %v", err)
	}
}
