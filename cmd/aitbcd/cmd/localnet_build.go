package cmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cometbft/cometbft/p2p"

	sdkmath "cosmossdk.io/math"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/networks/localnet"
)

// The localnet's manifest types live in networks/localnet; these names
// keep the command's code readable.
const (
	LocalnetChainID         = localnet.ChainID
	DefaultLocalnetBasePort = localnet.DefaultBasePort
	LocalnetPortStride      = localnet.PortStride
	MaxLocalnetNodes        = localnet.MaxNodes

	localnetManifest    = localnet.ManifestFile
	localnetOperatorKey = localnet.OperatorKey

	// DefaultLocalnetVotingPeriod is the governance voting (and deposit)
	// period of a new localnet; expedited proposals get half of it.
	DefaultLocalnetVotingPeriod = 60 * time.Second
	// minLocalnetVotingPeriod leaves validators time to vote at all.
	minLocalnetVotingPeriod = 2 * time.Second
	localnetUnbondingTime   = 5 * time.Minute
)

var (
	// localnetOperatorBalance funds every node's operator key, validator or not.
	localnetOperatorBalance = ait(1_000_000)
	// localnetSelfDelegation is what each genesis validator bonds (equal power).
	localnetSelfDelegation = ait(100_000)
)

// Localnet node roles.
const (
	RoleValidator = localnet.RoleValidator
	RoleFullNode  = localnet.RoleFullNode
)

type (
	LocalnetPorts = localnet.Ports
	LocalnetNode  = localnet.Node
	Localnet      = localnet.Network
)

// LocalnetPortsFor returns node i's ports (localnet.PortsFor).
func LocalnetPortsFor(base, i int) LocalnetPorts { return localnet.PortsFor(base, i) }

// LocalnetOptions say what network to create.
type LocalnetOptions struct {
	Validators    int
	FullNodes     int
	BasePort      int
	ConsensusMode ConsensusMode
	VotingPeriod  time.Duration // 0: DefaultLocalnetVotingPeriod
}

// votingPeriod is the governance voting period the options ask for.
func (o LocalnetOptions) votingPeriod() time.Duration {
	if o.VotingPeriod == 0 {
		return DefaultLocalnetVotingPeriod
	}
	return o.VotingPeriod
}

// Validate checks the node counts and that every port fits.
func (o LocalnetOptions) Validate() error {
	if o.Validators < 1 {
		return fmt.Errorf("--%s must be at least 1, got %d", flagValidators, o.Validators)
	}
	if o.FullNodes < 0 {
		return fmt.Errorf("--%s must not be negative, got %d", flagFullNodes, o.FullNodes)
	}
	if total := o.Validators + o.FullNodes; total > MaxLocalnetNodes {
		return fmt.Errorf("a localnet has at most %d nodes, asked for %d validators and %d full nodes",
			MaxLocalnetNodes, o.Validators, o.FullNodes)
	}
	last := o.BasePort + LocalnetPortStride*(o.Validators+o.FullNodes) - 1
	if o.BasePort < 1024 || last > 65535 {
		return fmt.Errorf("--%s %d: the ports %d-%d must lie within 1024-65535", flagBasePort, o.BasePort, o.BasePort, last)
	}
	if _, err := ParseConsensusMode(string(o.ConsensusMode)); err != nil {
		return fmt.Errorf("consensus mode %q: %w", o.ConsensusMode, err)
	}
	if o.votingPeriod() < minLocalnetVotingPeriod {
		return fmt.Errorf("--%s %s: want at least %s", flagVotingPeriod, o.VotingPeriod, minLocalnetVotingPeriod)
	}
	return nil
}

// localnetLayout names the nodes and assigns their roles and ports:
// node0 … node(V-1) are validators, the rest full nodes.
func localnetLayout(o LocalnetOptions) []LocalnetNode {
	nodes := make([]LocalnetNode, o.Validators+o.FullNodes)
	for i := range nodes {
		role := RoleValidator
		if i >= o.Validators {
			role = RoleFullNode
		}
		nodes[i] = LocalnetNode{Name: "node" + strconv.Itoa(i), Role: role, Ports: LocalnetPortsFor(o.BasePort, i)}
	}
	return nodes
}

// localnetPeers is node self's persistent_peers: every other node.
func localnetPeers(nodes []LocalnetNode, self int) string {
	var peers []string
	for i, n := range nodes {
		if i != self {
			peers = append(peers, fmt.Sprintf("%s@127.0.0.1:%d", n.NodeID, n.Ports.P2P))
		}
	}
	return strings.Join(peers, ",")
}

// LoadLocalnet reads the localnet in dir (localnet.Load).
func LoadLocalnet(dir string) (*Localnet, error) { return localnet.Load(dir) }

// PrepareLocalnet creates the localnet in dir unless it already holds one,
// and reports whether it created it. Like the devnet, the network is built
// in a sibling staging directory and renamed into place when complete.
func PrepareLocalnet(dir string, o LocalnetOptions) (*Localnet, bool, error) {
	if l, err := LoadLocalnet(dir); err == nil {
		return l, false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, false, fmt.Errorf("%s exists but holds no localnet (no %s); use --reset to start over", dir, localnetManifest)
	}
	if err := o.Validate(); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, false, err
	}
	staging, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".creating-")
	if err != nil {
		return nil, false, err
	}
	defer os.RemoveAll(staging)

	l := &Localnet{
		ChainID:       LocalnetChainID,
		ConsensusMode: o.ConsensusMode,
		BasePort:      o.BasePort,
		Validators:    o.Validators,
		FullNodes:     o.FullNodes,
		VotingPeriod:  o.votingPeriod().String(),
		Nodes:         localnetLayout(o),
	}
	l.SetDir(staging)
	if err := withStderrDiscarded(func() error { return buildLocalnet(l) }); err != nil {
		return nil, false, fmt.Errorf("creating localnet: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil { // an empty directory may be in the way
		return nil, false, err
	}
	if err := os.Rename(staging, dir); err != nil {
		return nil, false, err
	}
	l.SetDir(dir)
	return l, true, nil
}

// buildLocalnet runs, per node and for the shared genesis, the commands an
// operator team would: init, keys add, add-genesis-account, gentx on every
// validator, collect-gentxs, validate; then sets ports and peers.
func buildLocalnet(l *Localnet) error {
	// Every node: its own home, node key, consensus key and operator key; the
	// devnet's shared test accounts (faucet, alice, …) in every keyring.
	for i := range l.Nodes {
		n := &l.Nodes[i]
		home := l.Home(i)
		keyring := []string{"--keyring-backend", "test", "--home", home}
		if err := runAitbcd(home, nil, io.Discard, "init", n.Name, "--chain-id", l.ChainID, "--home", home); err != nil {
			return fmt.Errorf("%s: init: %w", n.Name, err)
		}
		var out bytes.Buffer
		if err := runAitbcd(home, nil, &out, append([]string{"keys", "add", localnetOperatorKey, "--output", "json"}, keyring...)...); err != nil {
			return fmt.Errorf("%s: keys add %s: %w", n.Name, localnetOperatorKey, err)
		}
		var key struct {
			Address string `json:"address"`
		}
		if err := json.Unmarshal(out.Bytes(), &key); err != nil || key.Address == "" {
			return fmt.Errorf("%s: reading the operator key's address from %q: %v", n.Name, out.String(), err)
		}
		n.Operator = key.Address
		for _, acc := range localnetSharedAccounts() {
			args := append([]string{"keys", "add", acc.Name, "--recover"}, keyring...)
			if err := runAitbcd(home, strings.NewReader(acc.Mnemonic+"\n"), io.Discard, args...); err != nil {
				return fmt.Errorf("%s: keys add %s: %w", n.Name, acc.Name, err)
			}
		}
		nodeKey, err := p2p.LoadNodeKey(filepath.Join(home, "config", "node_key.json"))
		if err != nil {
			return fmt.Errorf("%s: %w", n.Name, err)
		}
		n.NodeID = string(nodeKey.ID())
	}

	// One genesis, built in node0: every operator and shared account funded.
	genHome := l.Home(0)
	genesisFile := filepath.Join(genHome, "config", "genesis.json")
	addAccount := func(nameOrAddr string, amount sdkmath.Int) error {
		return runAitbcd(genHome, nil, io.Discard, "genesis", "add-genesis-account", nameOrAddr,
			amount.String()+app.BondDenom, "--keyring-backend", "test", "--home", genHome)
	}
	for _, n := range l.Nodes {
		if err := addAccount(n.Operator, localnetOperatorBalance); err != nil {
			return fmt.Errorf("add-genesis-account %s operator: %w", n.Name, err)
		}
	}
	for _, acc := range localnetSharedAccounts() {
		if err := addAccount(acc.Name, acc.Balance); err != nil {
			return fmt.Errorf("add-genesis-account %s: %w", acc.Name, err)
		}
	}
	voting, err := time.ParseDuration(l.VotingPeriod)
	if err != nil {
		return err
	}
	if err := setGenesisPeriods(genesisFile, voting, voting/2, localnetUnbondingTime); err != nil {
		return err
	}
	poaMode, err := l.ConsensusMode.PoAMode()
	if err != nil {
		return fmt.Errorf("consensus mode %q: %w", l.ConsensusMode, err)
	}
	if err := setGenesisConsensusMode(genesisFile, poaMode); err != nil {
		return err
	}

	// Every validator signs its gentx against that genesis, with its own keys.
	gentxDir := filepath.Join(l.Dir(), "gentxs")
	if err := os.MkdirAll(gentxDir, 0o755); err != nil {
		return err
	}
	for i, n := range l.Nodes {
		if n.Role != RoleValidator {
			continue
		}
		home := l.Home(i)
		if i != 0 {
			if err := copyFile(genesisFile, filepath.Join(home, "config", "genesis.json")); err != nil {
				return err
			}
		}
		err := runAitbcd(home, nil, io.Discard, "genesis", "gentx", localnetOperatorKey,
			localnetSelfDelegation.String()+app.BondDenom, "--chain-id", l.ChainID, "--moniker", n.Name,
			"--ip", "127.0.0.1", "--p2p-port", strconv.Itoa(n.Ports.P2P),
			"--output-document", filepath.Join(gentxDir, n.Name+".json"),
			"--keyring-backend", "test", "--home", home)
		if err != nil {
			return fmt.Errorf("%s: gentx: %w", n.Name, err)
		}
	}
	if err := runAitbcd(genHome, nil, io.Discard, "genesis", "collect-gentxs", "--gentx-dir", gentxDir, "--home", genHome); err != nil {
		return fmt.Errorf("collect-gentxs: %w", err)
	}
	if err := runAitbcd(genHome, nil, io.Discard, "genesis", "validate", "--home", genHome); err != nil {
		return fmt.Errorf("genesis validate: %w", err)
	}
	l.Facade = tomlHasSection(filepath.Join(genHome, "config", "app.toml"), facadeTomlSection)
	for i := range l.Nodes {
		if i != 0 {
			if err := copyFile(genesisFile, filepath.Join(l.Home(i), "config", "genesis.json")); err != nil {
				return err
			}
		}
		if err := configureLocalnetNode(l, i); err != nil {
			return fmt.Errorf("%s: %w", l.Nodes[i].Name, err)
		}
	}

	raw, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(l.Dir(), localnetManifest), append(raw, '\n'), 0o644)
}

// configureLocalnetNode puts node i's services on its loopback ports and
// connects it to every other node. CometBFT normally refuses several peers
// on one IP and private addresses in its address book; a localnet needs both.
func configureLocalnetNode(l *Localnet, i int) error {
	n := l.Nodes[i]
	cfgDir := filepath.Join(l.Home(i), "config")
	configToml := filepath.Join(cfgDir, "config.toml")
	if err := setTomlValues(configToml, "rpc", map[string]string{
		"laddr":       fmt.Sprintf("tcp://127.0.0.1:%d", n.Ports.RPC),
		"pprof_laddr": "", // would collide between nodes
	}); err != nil {
		return err
	}
	if err := setTomlValues(configToml, "p2p", map[string]string{
		"laddr":            fmt.Sprintf("tcp://127.0.0.1:%d", n.Ports.P2P),
		"persistent_peers": localnetPeers(l.Nodes, i),
	}); err != nil {
		return err
	}
	if err := setTomlLiterals(configToml, "p2p", map[string]string{
		"allow_duplicate_ip": "true",
		"addr_book_strict":   "false",
	}); err != nil {
		return err
	}
	appToml := filepath.Join(cfgDir, "app.toml")
	if err := setTomlValues(appToml, "api", map[string]string{"address": fmt.Sprintf("tcp://127.0.0.1:%d", n.Ports.API)}); err != nil {
		return err
	}
	if err := setTomlValues(appToml, "grpc", map[string]string{"address": fmt.Sprintf("127.0.0.1:%d", n.Ports.GRPC)}); err != nil {
		return err
	}
	if l.Facade {
		// Every node would otherwise claim the seed's 9080, 9081 and 9090.
		if err := setTomlValues(appToml, facadeTomlSection, map[string]string{
			"rest-address":    fmt.Sprintf("127.0.0.1:%d", n.Ports.FacadeREST),
			"ws-address":      fmt.Sprintf("127.0.0.1:%d", n.Ports.FacadeWS),
			"metrics-address": fmt.Sprintf("127.0.0.1:%d", n.Ports.Metrics),
		}); err != nil {
			return err
		}
	}
	if i > 0 && tomlHasSection(appToml, "indexer") {
		// One SQL index serves the network's history (node0's, behind its
		// facade); four nodes sharing one machine each writing their own cost
		// up to half the localnet's throughput (BENCHMARKS.md).
		if err := setTomlLiterals(appToml, "indexer", map[string]string{"enable": "false"}); err != nil {
			return err
		}
	}
	// `aitbcd --home <node home> tx/query …` talks to this node with the test keyring.
	return setTomlValues(filepath.Join(cfgDir, "client.toml"), "", map[string]string{
		"chain-id":        l.ChainID,
		"keyring-backend": "test",
		"node":            fmt.Sprintf("tcp://127.0.0.1:%d", n.Ports.RPC),
	})
}

// facadeTomlSection is the app.toml section of the AITBC API facade.
const facadeTomlSection = "facade"

// localnetSharedAccounts are the devnet's public test accounts other than
// its validator; the localnet funds them and puts them in every node's keyring.
func localnetSharedAccounts() []DevnetAccount {
	var accs []DevnetAccount
	for _, acc := range DevnetAccounts {
		if acc.Name != "validator" {
			accs = append(accs, acc)
		}
	}
	return accs
}

func copyFile(from, to string) error {
	raw, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, raw, 0o644)
}
