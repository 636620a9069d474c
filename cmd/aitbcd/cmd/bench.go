package cmd

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/cmd/aitbcd/loadgen"
)

func benchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmarks against a running node (load generation)",
		RunE:  client.ValidateCmd,
	}
	cmd.AddCommand(benchLoadCmd())
	return cmd
}

func benchLoadCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Send pre-signed transactions at a target rate to a local node and measure what commits",
		Long: `Fund --accounts new accounts from the --from key (one MsgMultiSend per 200 accounts),
pre-sign --count transactions for them offline (bank sends of 1uait to the next account, or
x/compute job submissions with --kind job), send them at --rate per second over --connections
connections to the node's CometBFT RPC (broadcast_tx_sync), follow every one to the block that
commits it, and report offered and committed TPS, submit→commit latency percentiles, block
intervals, rounds per height, the mempool's peak, and the CPU and RSS of the --pid processes
and of the load generator itself.

A transaction counts as committed when its block is in the node's block store and the
application has executed and committed that height (abci_info); every transaction's result
code is read from block_results after the run, so that the node does not spend its CPU during
the run encoding every event for the measurement (--live-results reads them during the run).

The run stops by itself after --count transactions or --duration, whichever comes first, then
waits up to --drain-timeout for the accepted ones to commit. Only loopback nodes are accepted.
It exits non-zero if any sent transaction was not committed.

Example against the devnet:
  aitbcd bench load --home ~/.aitbcd-devnet --from faucet --rate 500 --duration 30s --pid $(pgrep -f 'aitbcd devnet')`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			f := cmd.Flags()
			cfg := loadgen.Config{Node: clientCtx.NodeURI, ChainID: clientCtx.ChainID}
			cfg.Funder, _ = f.GetString(flags.FlagFrom)
			cfg.Accounts, _ = f.GetInt("accounts")
			cfg.Rate, _ = f.GetFloat64("rate")
			cfg.Count, _ = f.GetInt("count")
			cfg.Duration, _ = f.GetDuration("duration")
			cfg.Connections, _ = f.GetInt("connections")
			cfg.Kind, _ = f.GetString("kind")
			cfg.Gas, _ = f.GetUint64(flags.FlagGas)
			cfg.DrainTimeout, _ = f.GetDuration("drain-timeout")
			cfg.Seed, _ = f.GetInt64("seed")
			cfg.PIDs, _ = f.GetIntSlice("pid")
			cfg.LiveResults, _ = f.GetBool("live-results")
			price, _ := f.GetString("gas-price")
			asJSON, _ := f.GetBool("json")
			if cfg.Seed == 0 {
				cfg.Seed = time.Now().UnixNano()
			}
			dec, err := sdk.ParseDecCoin(price)
			if err != nil || dec.Denom != app.BondDenom {
				return fmt.Errorf("--gas-price %q: want an amount of %s, e.g. %s", price, app.BondDenom, app.DefaultMinGasPrices)
			}
			cfg.GasPrice, err = dec.Amount.Float64()
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			kr := clientCtx.Keyring
			if kr == nil {
				backend, _ := f.GetString(flags.FlagKeyringBackend)
				kr, err = keyring.New(sdk.KeyringServiceName(), backend, clientCtx.HomeDir, clientCtx.Input, clientCtx.Codec)
				if err != nil {
					return err
				}
			}
			report, err := loadgen.Run(cmd.Context(), cfg, clientCtx.TxConfig, kr, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if asJSON {
				out, err := json.MarshalIndent(report, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), string(out))
			} else {
				fmt.Fprint(cmd.OutOrStdout(), report.String())
			}
			if !report.AllCommitted() {
				return fmt.Errorf("%d of %d sent transactions were not committed successfully", report.Sent-report.Committed, report.Sent)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.String(flags.FlagNode, "tcp://127.0.0.1:26657", "CometBFT RPC of the target node (loopback only)")
	f.String(flags.FlagChainID, "", "chain id (default: the node's)")
	f.String(flags.FlagKeyringBackend, keyring.BackendTest, "keyring backend of --from")
	f.String(flags.FlagFrom, "faucet", "keyring name of the key that funds the load accounts")
	f.Int("accounts", 1000, "accounts that sign the load (K)")
	f.Float64("rate", 500, "offered transactions per second")
	f.Int("count", 0, "send at most this many transactions (0: rate × duration)")
	f.Duration("duration", 30*time.Second, "send for at most this long")
	f.Int("connections", 8, "parallel RPC connections")
	f.String("kind", loadgen.KindSend, "transaction kind: send (bank MsgSend) or job (x/compute MsgSubmitJob)")
	f.Uint64(flags.FlagGas, 0, "gas limit per transaction (0: 80000 for send, 160000 for job)")
	f.String("gas-price", app.DefaultMinGasPrices, "gas price the fees are computed at")
	f.Duration("drain-timeout", 60*time.Second, "after sending, wait at most this long for commits")
	f.Int64("seed", 0, "derives the load accounts' keys (0: from the clock, new accounts every run)")
	f.IntSlice("pid", nil, "node process ids whose CPU and RSS to report (repeatable)")
	f.Bool("live-results", false, "read every block's results (block_results) during the run instead of after it; costs the loaded node the JSON encoding of every event")
	f.Bool("json", false, "print the report as JSON")
	return cmd
}
