package localnet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cosmos/cosmos-sdk/server"

	"github.com/aitbc/chain/networks/localnet/tomledit"
)

// DevnetChainID is the chain id of the single-node developer network.
const DevnetChainID = "ait-devnet-1"

const (
	// DevnetMoniker is the devnet validator's moniker.
	DevnetMoniker = "devnet-validator"
	// Governance and unbonding periods short enough to try them out on a devnet.
	devnetVotingPeriod    = 60 * time.Second
	devnetExpeditedPeriod = 30 * time.Second
	devnetUnbondingTime   = 5 * time.Minute
	// devnetP2PPort is the devnet's CometBFT P2P port (CometBFT's default),
	// kept on loopback: a devnet has no peers.
	devnetP2PPort = 26656
)

// DevnetSelfDelegation is what the devnet validator bonds at genesis (uait).
var DevnetSelfDelegation = AIT(100_000)

// DevnetOptions say what devnet to create.
type DevnetOptions struct {
	ConsensusMode ConsensusMode // CONSENSUS_MODE; "" is DefaultConsensusMode
	Home          HomeTemplate  // required
}

// PrepareDevnet creates the devnet in home unless home already holds one
// (whose mode is then left alone), and reports whether it created it. The
// chain is built in a sibling directory and renamed into place, so an
// interrupted run leaves nothing half made.
func PrepareDevnet(home string, o DevnetOptions) (bool, error) {
	genesisFile := filepath.Join(home, "config", "genesis.json")
	if _, err := os.Stat(genesisFile); err == nil {
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	if !emptyOrAbsent(home) {
		return false, fmt.Errorf("%s exists but holds no devnet (no config/genesis.json); use --reset to start over", home)
	}
	mode := o.ConsensusMode
	if mode == "" {
		mode = DefaultConsensusMode
	}
	if err := buildStaged(home, func(staging string) error { return buildDevnet(staging, mode, o.Home) }); err != nil {
		return false, fmt.Errorf("creating devnet: %w", err)
	}
	return true, nil
}

// buildDevnet does what an operator would: init, keys add,
// add-genesis-account, gentx and collect-gentxs.
func buildDevnet(dir string, mode ConsensusMode, tmpl HomeTemplate) error {
	b, err := newBuilder(tmpl)
	if err != nil {
		return err
	}
	validator := DevnetAccounts[0]
	// The consensus key derives from the validator mnemonic, so the devnet's
	// validator is the same on every machine.
	h, err := b.initHome(dir, DevnetMoniker, DevnetChainID, validator.Mnemonic)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	for _, acc := range DevnetAccounts {
		addr, err := h.addKey(acc.Name, acc.Mnemonic)
		if err != nil {
			return fmt.Errorf("keys add %s: %w", acc.Name, err)
		}
		if err := b.addGenesisAccount(h, addr, acc.Balance); err != nil {
			return fmt.Errorf("add-genesis-account %s: %w", acc.Name, err)
		}
	}
	if err := editGenesis(b.cdc, h.genesisFile(), periodEdits(devnetVotingPeriod, devnetExpeditedPeriod, devnetUnbondingTime)...); err != nil {
		return err
	}
	if err := SetGenesisConsensusMode(h.genesisFile(), mode); err != nil {
		return err
	}
	// As `genesis gentx` without --ip: the memo names the machine's address.
	ip, _ := server.ExternalIP()
	if err := b.gentx(h, validator.Name, DevnetSelfDelegation, DevnetChainID, DevnetMoniker, ip, devnetP2PPort, ""); err != nil {
		return fmt.Errorf("gentx: %w", err)
	}
	if err := b.collectGentxs(h, ""); err != nil {
		return fmt.Errorf("collect-gentxs: %w", err)
	}
	if err := b.validateGenesis(h); err != nil {
		return fmt.Errorf("genesis validate: %w", err)
	}
	// The CLI should talk to this chain with the test keyring without extra flags.
	if err := setClient(dir, DevnetChainID, ""); err != nil {
		return err
	}
	// A devnet has no peers: keep its P2P port off the network.
	return tomledit.SetValues(filepath.Join(dir, "config", "config.toml"), "p2p",
		map[string]string{"laddr": fmt.Sprintf("tcp://127.0.0.1:%d", devnetP2PPort)})
}
