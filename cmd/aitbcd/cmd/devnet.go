package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client/flags"
	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/networks/localnet"
)

const (
	flagReset   = "reset"
	flagNoStart = "no-start"
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

			// --log_format json given to devnet goes on to the node;
			// LOG_FORMAT reaches it through the environment.
			jsonLogs := seed.LogFormat == LogFormatJSON
			if f := cmd.Flags().Lookup(flags.FlagLogFormat); f != nil && f.Changed {
				jsonLogs = f.Value.String() == LogFormatJSON
				startArgs = append([]string{"--" + flags.FlagLogFormat, f.Value.String()}, startArgs...)
			}

			out := cmd.OutOrStdout()
			if reset {
				if err := os.RemoveAll(home); err != nil {
					return fmt.Errorf("reset: removing %s: %w", home, err)
				}
				if jsonLogs {
					line, _ := json.Marshal(map[string]string{"level": "info", "module": "devnet", "home": home, "message": "devnet removed"})
					fmt.Fprintf(out, "%s\n", line)
				} else {
					fmt.Fprintf(out, "devnet: removed %s\n", home)
				}
			}
			created, err := PrepareDevnet(home, seed.ConsensusMode)
			if err != nil {
				return err
			}
			if jsonLogs {
				err = printDevnetBannerJSON(out, home, created)
			} else {
				printDevnetBanner(out, home, created)
			}
			if err != nil || noStart {
				return err
			}
			return runAitbcd(home, nil, cmd.OutOrStdout(), append([]string{"start", "--home", home}, startArgs...)...)
		},
	}
	cmd.Flags().Bool(flagReset, false, "delete the devnet's data and create a new chain")
	cmd.Flags().Bool(flagNoStart, false, "create the devnet if needed, but do not start the node")
	return cmd
}

// PrepareDevnet creates the devnet in home unless it holds one already
// (localnet.PrepareDevnet), with the node home `aitbcd init` would write.
func PrepareDevnet(home string, mode ConsensusMode) (bool, error) {
	return localnet.PrepareDevnet(home, localnet.DevnetOptions{ConsensusMode: mode, Home: homeTemplate()})
}

// runAitbcd runs one aitbcd command line in this process on a fresh command
// tree: the devnet's node runs in the foreground as `aitbcd start` would.
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

// printDevnetBannerJSON is the banner as one log line, so that with JSON
// logs every line of a devnet's output parses.
func printDevnetBannerJSON(out io.Writer, home string, created bool) error {
	state := "resuming"
	if created {
		state = "created"
	}
	accounts := map[string]string{}
	for _, acc := range DevnetAccounts {
		accounts[acc.Name] = acc.Balance.String() + "uait"
	}
	line, err := json.Marshal(struct {
		Level    string            `json:"level"`
		Module   string            `json:"module"`
		ChainID  string            `json:"chain_id"`
		State    string            `json:"state"`
		Home     string            `json:"home"`
		RPC      string            `json:"cometbft_rpc"`
		REST     string            `json:"cosmos_rest"`
		GRPC     string            `json:"cosmos_grpc"`
		Accounts map[string]string `json:"accounts"`
		Keyring  string            `json:"keyring_backend"`
		Time     string            `json:"time"`
		Message  string            `json:"message"`
	}{"info", "devnet", DevnetChainID, state, home, "http://127.0.0.1:26657", "http://127.0.0.1:1317", "127.0.0.1:9091",
		accounts, "test", time.Now().UTC().Format(time.RFC3339), "AITBC devnet " + state + " (INSECURE mnemonics, see README)"})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", line)
	return err
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
