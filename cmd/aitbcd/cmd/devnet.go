package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/app"
	poatypes "github.com/aitbc/chain/x/poa/types"
)

const (
	flagReset   = "reset"
	flagNoStart = "no-start"

	devnetMoniker = "devnet-validator"
	// Governance and unbonding periods short enough to try them out on a devnet.
	devnetVotingPeriod    = 60 * time.Second
	devnetExpeditedPeriod = 30 * time.Second
	devnetUnbondingTime   = 5 * time.Minute
)

// DefaultDevnetHome is where `aitbcd devnet` keeps the devnet unless --home is given.
func DefaultDevnetHome() string {
	return filepath.Join(filepath.Dir(app.DefaultNodeHome), ".aitbcd-devnet")
}

func devnetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "devnet [-- start flags]",
		Short: "Create (once) and run a single-validator development chain " + DevnetChainID,
		Long: `Create a single-validator chain ` + DevnetChainID + ` with funded developer accounts, then
run its node in the foreground until Ctrl-C.

The first run creates the chain in --home (default ` + "~/.aitbcd-devnet" + `). Later runs resume
the same chain at the height it reached. --reset deletes the devnet and starts over.

The accounts validator, faucet, alice, bob and carol are created in the "test" keyring
from fixed mnemonics printed at start-up. They are INSECURE: for local development only.

BLOCK_TIME (default 1s) sets the pause between blocks; LOG_LEVEL the log level;
CONSENSUS_MODE (poa, hybrid or pos; default poa) the x/poa mode a new devnet starts in.
RPC_HOST, RPC_PORT, WS_PORT, METRICS_PORT and DATABASE_URL apply as under 'aitbcd start'
(facade host and ports, SQL index database); a flag after -- still wins.
Arguments after -- go to 'aitbcd start', e.g. -- --rpc.laddr tcp://127.0.0.1:36657`,
		Args: cobra.ArbitraryArgs,
		// The root pre-run would write a config into the default node home;
		// the devnet manages its own home instead.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, startArgs []string) error {
			seed, err := LoadSeedEnv(os.Getenv)
			if err != nil {
				return err
			}
			home := DefaultDevnetHome()
			if f := cmd.Flags().Lookup("home"); f != nil && f.Changed {
				home = f.Value.String()
			}
			reset, _ := cmd.Flags().GetBool(flagReset)
			noStart, _ := cmd.Flags().GetBool(flagNoStart)

			out := cmd.OutOrStdout()
			if reset {
				if err := os.RemoveAll(home); err != nil {
					return fmt.Errorf("reset: removing %s: %w", home, err)
				}
				fmt.Fprintf(out, "devnet: removed %s\n", home)
			}
			mode, err := seed.ConsensusMode.PoAMode()
			if err != nil {
				return err
			}
			created, err := PrepareDevnet(home, mode)
			if err != nil {
				return err
			}
			printDevnetBanner(out, home, created)
			if noStart {
				return nil
			}
			return runAitbcd(home, nil, cmd.OutOrStdout(), append([]string{"start", "--home", home}, startArgs...)...)
		},
	}
	cmd.Flags().Bool(flagReset, false, "delete the devnet's data and create a new chain")
	cmd.Flags().Bool(flagNoStart, false, "create the devnet if needed, but do not start the node")
	return cmd
}

// PrepareDevnet creates the devnet in home, starting in consensus mode, unless
// home already holds one (whose mode is then left alone), and reports whether
// it created it. The chain is built in a sibling directory
// and renamed into place, so an interrupted run leaves nothing half made.
func PrepareDevnet(home string, mode poatypes.Mode) (bool, error) {
	genesisFile := filepath.Join(home, "config", "genesis.json")
	if _, err := os.Stat(genesisFile); err == nil {
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	if entries, err := os.ReadDir(home); err == nil && len(entries) > 0 {
		return false, fmt.Errorf("%s exists but holds no devnet (no config/genesis.json); use --reset to start over", home)
	}

	if err := os.MkdirAll(filepath.Dir(home), 0o755); err != nil {
		return false, err
	}
	staging, err := os.MkdirTemp(filepath.Dir(home), filepath.Base(home)+".creating-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(staging)

	// init and collect-gentxs print the whole genesis to the process's
	// stderr; the banner says what matters. Failures still come back as errors.
	if err := withStderrDiscarded(func() error { return buildDevnet(staging, mode) }); err != nil {
		return false, fmt.Errorf("creating devnet: %w", err)
	}
	if err := os.RemoveAll(home); err != nil { // an empty directory may be in the way
		return false, err
	}
	if err := os.Rename(staging, home); err != nil {
		return false, err
	}
	return true, nil
}

// buildDevnet runs the same commands an operator would: init, keys add,
// genesis add-genesis-account, gentx and collect-gentxs.
func buildDevnet(home string, mode poatypes.Mode) error {
	validator := DevnetAccounts[0]
	keyring := []string{"--keyring-backend", "test", "--home", home}

	// --recover derives the consensus key from the validator mnemonic, so the
	// devnet's validator is the same on every machine.
	if err := runAitbcd(home, strings.NewReader(validator.Mnemonic+"\n"), io.Discard,
		"init", devnetMoniker, "--chain-id", DevnetChainID, "--recover", "--home", home); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	for _, acc := range DevnetAccounts {
		args := append([]string{"keys", "add", acc.Name, "--recover"}, keyring...)
		if err := runAitbcd(home, strings.NewReader(acc.Mnemonic+"\n"), io.Discard, args...); err != nil {
			return fmt.Errorf("keys add %s: %w", acc.Name, err)
		}
		args = append([]string{"genesis", "add-genesis-account", acc.Name, acc.Balance.String() + app.BondDenom}, keyring...)
		if err := runAitbcd(home, nil, io.Discard, args...); err != nil {
			return fmt.Errorf("add-genesis-account %s: %w", acc.Name, err)
		}
	}
	genesisFile := filepath.Join(home, "config", "genesis.json")
	if err := shortenDevnetPeriods(genesisFile); err != nil {
		return err
	}
	if err := setGenesisConsensusMode(genesisFile, mode); err != nil {
		return err
	}
	args := append([]string{"genesis", "gentx", validator.Name, DevnetSelfDelegation.String() + app.BondDenom,
		"--chain-id", DevnetChainID, "--moniker", devnetMoniker}, keyring...)
	if err := runAitbcd(home, nil, io.Discard, args...); err != nil {
		return fmt.Errorf("gentx: %w", err)
	}
	if err := runAitbcd(home, nil, io.Discard, "genesis", "collect-gentxs", "--home", home); err != nil {
		return fmt.Errorf("collect-gentxs: %w", err)
	}
	if err := runAitbcd(home, nil, io.Discard, "genesis", "validate", "--home", home); err != nil {
		return fmt.Errorf("genesis validate: %w", err)
	}
	// The CLI should talk to this chain with the test keyring without extra flags.
	clientToml := filepath.Join(home, "config", "client.toml")
	if err := setTomlValues(clientToml, "", map[string]string{"chain-id": DevnetChainID, "keyring-backend": "test"}); err != nil {
		return err
	}
	// A devnet has no peers: keep its P2P port off the network.
	return setTomlValues(filepath.Join(home, "config", "config.toml"), "p2p", map[string]string{"laddr": "tcp://127.0.0.1:26656"})
}

// withStderrDiscarded runs fn with os.Stderr pointed at the null device.
func withStderrDiscarded(fn func() error) error {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	saved := os.Stderr
	os.Stderr = null
	defer func() { os.Stderr = saved }()
	return fn()
}

// shortenDevnetPeriods makes governance and unbonding usable within minutes.
func shortenDevnetPeriods(genesisFile string) error {
	return setGenesisPeriods(genesisFile, devnetVotingPeriod, devnetExpeditedPeriod, devnetUnbondingTime)
}

// setGenesisPeriods sets the governance voting (and deposit) period, the
// expedited voting period and the staking unbonding time in a genesis file.
func setGenesisPeriods(genesisFile string, votingPeriod, expeditedPeriod, unbondingTime time.Duration) error {
	var gov govv1.GenesisState
	var staking stakingtypes.GenesisState
	return editGenesis(genesisFile,
		moduleEdit{module: "gov", state: &gov, apply: func() error {
			voting, expedited := votingPeriod, expeditedPeriod
			gov.Params.VotingPeriod, gov.Params.ExpeditedVotingPeriod, gov.Params.MaxDepositPeriod = &voting, &expedited, &voting
			return nil
		}},
		moduleEdit{module: stakingtypes.ModuleName, state: &staking, apply: func() error {
			staking.Params.UnbondingTime = unbondingTime
			return nil
		}},
	)
}

// runAitbcd runs one aitbcd command line in this process on a fresh command tree.
func runAitbcd(home string, stdin io.Reader, stdout io.Writer, args ...string) error {
	root := NewRootCmd()
	root.SetArgs(args)
	if stdin != nil {
		root.SetIn(stdin)
	}
	var stderr bytes.Buffer
	root.SetOut(stdout)
	root.SetErr(&stderr)
	if err := svrcmd.Execute(root, EnvPrefix, home); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	return nil
}

func printDevnetBanner(out io.Writer, home string, created bool) {
	state := "resuming"
	if created {
		state = "created"
	}
	fmt.Fprintf(out, `
AITBC devnet %s (%s)
  home          %s
  CometBFT RPC  http://127.0.0.1:26657
  Cosmos REST   http://127.0.0.1:1317
  Cosmos gRPC   127.0.0.1:9091

Accounts (keyring-backend "test"; INSECURE mnemonics, see README):
`, DevnetChainID, state, home)
	for _, acc := range DevnetAccounts {
		fmt.Fprintf(out, "  %-10s %s uait\n", acc.Name, acc.Balance)
	}
	fmt.Fprintf(out, "\nTry: aitbcd --home %s keys list\n\n", home)
}
