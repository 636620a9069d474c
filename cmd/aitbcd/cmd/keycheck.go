package cmd

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/server"
	servercmtlog "github.com/cosmos/cosmos-sdk/server/log"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/keyguard"
)

// EnvValidatorAddress is the seed's VALIDATOR_ADDRESS: the consensus address
// this node must sign as (hex, 0x optional, or aitvalcons1…).
const EnvValidatorAddress = keyguard.EnvValidatorAddress

// flagSignerWait bounds start's wait for a remote signer to dial in.
const flagSignerWait = "signer-wait"

// wrapStartWithKeyCheck runs the consensus-key checks (package keyguard)
// before anything else of start: a node that would sign with the wrong key,
// or with a key file anyone can read, never gets as far as opening a port.
func wrapStartWithKeyCheck(start *cobra.Command) {
	start.Flags().Duration(flagSignerWait, keyguard.DefaultSignerWait,
		"with priv_validator_laddr set: how long to wait for the remote signer to dial in before giving up")
	run := start.RunE
	start.RunE = func(cmd *cobra.Command, args []string) error {
		if withComet, err := cmd.Flags().GetBool("with-comet"); err == nil && !withComet {
			return run(cmd, args) // no consensus in this process, nothing signs
		}
		if err := checkConsensusKey(cmd, server.GetServerContextFromCmd(cmd)); err != nil {
			return err
		}
		return run(cmd, args)
	}
}

func checkConsensusKey(cmd *cobra.Command, svrCtx *server.Context) error {
	cfg := svrCtx.Config
	gen, err := genutiltypes.AppGenesisFromFile(cfg.GenesisFile())
	if err != nil {
		return fmt.Errorf("reading the genesis for its chain id: %w", err)
	}
	logger := servercmtlog.CometLoggerWrapper{Logger: svrCtx.Logger.With("module", "keyguard")}
	wait, _ := cmd.Flags().GetDuration(flagSignerWait)
	d, err := keyguard.Check(cmd.Context(), keyguard.Options{
		SignerWait: wait,
		Config:     cfg,
		ChainID:    gen.ChainID,
		ConsPrefix: app.ConsNodeAddressPrefix,
		Want:       os.Getenv(EnvValidatorAddress),
		Now:        time.Now(),
		Logger:     logger,
	})
	if err != nil {
		return err
	}
	if d.Address == nil {
		return nil
	}
	via := "local key " + cfg.PrivValidatorKeyFile()
	if d.Remote {
		via = "remote signer on " + cfg.PrivValidatorListenAddr
	}
	logger.Info("consensus key", "address", d.Address.String(),
		"valcons", keyguard.Bech32(d.Address, app.ConsNodeAddressPrefix), "via", via,
		"checked_against_"+EnvValidatorAddress, os.Getenv(EnvValidatorAddress) != "",
		"double_sign_check_height", cfg.Consensus.DoubleSignCheckHeight)
	if d.Excused != "" {
		logger.Info("double-sign lookback off for this start: the key's signatures at the top of the block store are "+
			"this node's own", "heights", d.OwnHeights, "because", d.Excused)
	}
	return nil
}
