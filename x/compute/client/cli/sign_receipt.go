// Package cli holds x/compute's hand-written commands; AutoCLI generates the others.
package cli

import (
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	signingtypes "github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/aitbc/chain/x/compute/types"
)

// TxCmd is the `tx compute` command; AutoCLI adds the message commands to it.
func TxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "AI-workload market transactions",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(SignReceiptCmd())
	return cmd
}

// SignReceiptCmd signs a receipt offline with a keyring key: what a
// provider's worker runs after finishing a job. It prints the signature in
// base64 for `tx compute submit-receipt`.
func SignReceiptCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sign-receipt [job-id] [output-hash] [compute-units] [price-per-unit]",
		Short: "Sign a compute receipt with the provider's signing key (--from) and print the signature",
		Long: `Sign the canonical receipt bytes (see x/compute/README.md) with the keyring key given by
--from, which must be the key registered as the provider's signing key. price-per-unit is the
job's price_per_unit as fixed at acceptance (aitbcd query compute job ID). --chain-id must match
the chain. Nothing is broadcast; the signature is printed in base64.`,
		Args: cobra.ExactArgs(4),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			jobID, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("job-id %q: %w", args[0], err)
			}
			if err := types.ValidateHash("output-hash", args[1]); err != nil {
				return err
			}
			units, err := strconv.ParseUint(args[2], 10, 64)
			if err != nil || units == 0 {
				return fmt.Errorf("compute-units %q: want a positive whole number", args[2])
			}
			price, ok := sdkmath.NewIntFromString(args[3])
			if !ok || !price.IsPositive() {
				return fmt.Errorf("price-per-unit %q: want a positive whole number of uait", args[3])
			}
			if clientCtx.ChainID == "" {
				return fmt.Errorf("--chain-id is required: receipts are bound to one chain")
			}
			if clientCtx.FromName == "" {
				return fmt.Errorf("--from is required: the provider's signing key")
			}
			msg := types.ReceiptSignBytes(clientCtx.ChainID, jobID, args[1], units, price)
			sig, _, err := clientCtx.Keyring.Sign(clientCtx.FromName, msg, signingtypes.SignMode_SIGN_MODE_DIRECT)
			if err != nil {
				return fmt.Errorf("signing with %s: %w", clientCtx.FromName, err)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), base64.StdEncoding.EncodeToString(sig))
			return err
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}
