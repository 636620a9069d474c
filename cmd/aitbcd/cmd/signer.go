package cmd

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	cmtlog "github.com/cometbft/cometbft/libs/log"

	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/keyguard"
	"github.com/aitbc/chain/signer"
)

const (
	flagSignerNode      = "node"
	flagSignerKeyFile   = "key-file"
	flagSignerStateFile = "state-file"
	flagSignerNewState  = "new-state"
)

// signerCmd is `aitbcd signer`: the consensus key in its own process (see
// package signer and docs/operations.md "Validator keys").
func signerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "signer",
		Short: "Keep this validator's consensus key in its own process: dial the node's priv_validator_laddr and sign for it",
		Long: `Run a remote signer for one validator. The node listens on priv_validator_laddr (config.toml)
and this process dials it, reconnecting with back-off (100 ms doubling to 1 s) whenever the
node goes away. It signs with CometBFT's FilePV: the key in --key-file and the double-sign state
in --state-file, which is on disk (file and directory entry fsynced) before each signature is
sent. The home holds the two files where a node home does: config/priv_validator_key.json and
data/priv_validator_state.json. To move a validator's key here: stop the node, move both files,
set priv_validator_laddr, start the signer, start the node.`,
		Args: cobra.NoArgs,
		// The signer's home is not a node home: no config.toml or app.toml is
		// created or read for it.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, _ := cmd.Flags().GetString(flags.FlagHome)
			keyFile, _ := cmd.Flags().GetString(flagSignerKeyFile)
			stateFile, _ := cmd.Flags().GetString(flagSignerStateFile)
			if keyFile == "" {
				keyFile = filepath.Join(home, "config", "priv_validator_key.json")
			}
			if stateFile == "" {
				stateFile = filepath.Join(home, "data", "priv_validator_state.json")
			}
			node, _ := cmd.Flags().GetString(flagSignerNode)
			chainID, _ := cmd.Flags().GetString(flags.FlagChainID)
			newState, _ := cmd.Flags().GetBool(flagSignerNewState)
			if node == "" {
				return fmt.Errorf("--%s is required: the node's priv_validator_laddr, e.g. tcp://127.0.0.1:26659", flagSignerNode)
			}
			logger := cmtlog.NewTMLogger(cmtlog.NewSyncWriter(cmd.ErrOrStderr())).With("module", "signer")
			s, err := signer.New(signer.Config{
				KeyFile: keyFile, StateFile: stateFile, NewState: newState,
				Node: node, ChainID: chainID, Logger: logger,
			})
			if err != nil {
				return err
			}
			h, r, step := s.LastSigned()
			logger.Info("signer ready", "address", fmt.Sprintf("%X", s.Address()),
				"valcons", keyguard.Bech32(s.Address(), app.ConsNodeAddressPrefix), "chain_id", chainID, "node", node,
				"last_signed_height", h, "last_signed_round", r, "last_signed_step", step)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := s.Run(ctx); err != nil {
				return err
			}
			logger.Info("signer stopped")
			return nil
		},
	}
	cmd.Flags().String(flags.FlagHome, app.DefaultNodeHome+"-signer", "the signer's directory (config/priv_validator_key.json, data/priv_validator_state.json)")
	cmd.Flags().String(flagSignerNode, "", "the node's priv_validator_laddr to dial: tcp://host:port or unix:///path (required)")
	cmd.Flags().String(flags.FlagChainID, "", "the chain to sign for; requests for any other are refused (required)")
	cmd.Flags().String(flagSignerKeyFile, "", "the consensus key (default <home>/config/priv_validator_key.json)")
	cmd.Flags().String(flagSignerStateFile, "", "the double-sign state (default <home>/data/priv_validator_state.json)")
	cmd.Flags().Bool(flagSignerNewState, false, "create an empty sign state if there is none (only for a key that has never signed)")
	return cmd
}
