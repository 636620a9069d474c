package localnet

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A localnet.json as the command wrote it before this package existed must
// still load: homes made by older binaries keep working.
func TestLoadReadsExistingManifest(t *testing.T) {
	dir := t.TempDir()
	manifest := `{
  "chain_id": "ait-localnet-1",
  "consensus_mode": "hybrid",
  "base_port": 20000,
  "validators": 1,
  "full_nodes": 1,
  "voting_period": "20s",
  "nodes": [
    {"name": "node0", "role": "validator", "node_id": "aa", "operator": "ait1x",
     "ports": {"p2p": 20000, "rpc": 20001, "grpc": 20002, "api": 20003, "facade_rest": 20004, "facade_ws": 20005, "metrics": 20006}},
    {"name": "node1", "role": "full", "node_id": "bb", "operator": "ait1y",
     "ports": {"p2p": 20010, "rpc": 20011, "grpc": 20012, "api": 20013, "facade_rest": 20014, "facade_ws": 20015, "metrics": 20016}}
  ],
  "facade": true
}
`
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Network{ChainID: ChainID, ConsensusMode: ConsensusModeHybrid, BasePort: 20000, Validators: 1, FullNodes: 1,
		VotingPeriod: "20s", Facade: true, Nodes: []Node{
			{Name: "node0", Role: RoleValidator, NodeID: "aa", Operator: "ait1x", Ports: PortsFor(20000, 0)},
			{Name: "node1", Role: RoleFullNode, NodeID: "bb", Operator: "ait1y", Ports: PortsFor(20000, 1)},
		}}
	want.SetDir(dir)
	if !reflect.DeepEqual(*n, want) {
		t.Fatalf("loaded %+v\nwant   %+v", *n, want)
	}
	if n.Home(1) != filepath.Join(dir, "node1") {
		t.Fatalf("node1's home %s", n.Home(1))
	}

	// Written back, the manifest keeps the same field names.
	n.SetDir(t.TempDir())
	if err := n.save(); err != nil {
		t.Fatal(err)
	}
	again, err := Load(n.Dir())
	if err != nil || !reflect.DeepEqual(again.Nodes, want.Nodes) || again.ConsensusMode != want.ConsensusMode {
		t.Fatalf("round trip: %+v, %v", again, err)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("empty directory: want os.ErrNotExist, got %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"chain_id":"x","nodes":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "lists no nodes") {
		t.Fatalf("no nodes: %v", err)
	}
}

func TestParseConsensusMode(t *testing.T) {
	for raw, want := range map[string]ConsensusMode{"poa": ConsensusModePoA, " HYBRID ": ConsensusModeHybrid, "PoS": ConsensusModePoS} {
		if got, err := ParseConsensusMode(raw); err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, raw := range []string{"", "dpos", "POA2"} {
		if _, err := ParseConsensusMode(raw); err == nil || !strings.Contains(err.Error(), "poa, hybrid or pos") {
			t.Errorf("%q: want an error listing the modes, got %v", raw, err)
		}
	}
	if m, set, err := ConsensusModeFromEnv(func(string) string { return "" }); m != DefaultConsensusMode || set || err != nil {
		t.Errorf("unset: %q %v %v", m, set, err)
	}
	if _, _, err := ConsensusModeFromEnv(func(string) string { return "proof-of-magic" }); err == nil || !strings.Contains(err.Error(), EnvConsensusMode) {
		t.Errorf("bad value: want an error naming %s, got %v", EnvConsensusMode, err)
	}
}
