// Package cmd builds the aitbcd command tree: the node (start, comet, export,
// rollback, snapshots), the client (keys, tx, query via AutoCLI), genesis
// tooling and the one-command devnet.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/spf13/cast"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/config"
	"github.com/cosmos/cosmos-sdk/client/debug"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/keys"
	"github.com/cosmos/cosmos-sdk/client/pruning"
	"github.com/cosmos/cosmos-sdk/client/rpc"
	"github.com/cosmos/cosmos-sdk/client/snapshot"
	"github.com/cosmos/cosmos-sdk/server"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	authcmd "github.com/cosmos/cosmos-sdk/x/auth/client/cli"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	genutilcli "github.com/cosmos/cosmos-sdk/x/genutil/client/cli"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/keyguard"
)

// EnvPrefix prefixes environment variables that override any flag or config
// key, e.g. AITBCD_MINIMUM_GAS_PRICES. The seed's unprefixed variables
// (BLOCK_TIME, LOG_LEVEL, …) are handled in seedenv.go.
const EnvPrefix = "AITBCD"

// NewRootCmd returns the aitbcd root command.
func NewRootCmd() *cobra.Command {
	// A throw-away app gives AutoCLI the modules' services and the client the
	// fully registered codecs.
	tempApp := app.New(log.NewNopLogger(), dbm.NewMemDB(), false, emptyAppOptions{})

	initClientCtx := client.Context{}.
		WithCodec(tempApp.AppCodec()).
		WithInterfaceRegistry(tempApp.InterfaceRegistry()).
		WithTxConfig(tempApp.TxConfig()).
		WithLegacyAmino(tempApp.LegacyAmino()).
		WithInput(os.Stdin).
		WithAccountRetriever(authtypes.AccountRetriever{}).
		WithHomeDir(app.DefaultNodeHome).
		WithViper(EnvPrefix)

	rootCmd := &cobra.Command{
		Use:           "aitbcd",
		Short:         "AITBC chain node: hybrid PoA/PoS consensus and AI-workload transactions on Cosmos SDK and CometBFT",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(cmd.OutOrStdout())
			cmd.SetErr(cmd.ErrOrStderr())

			clientCtx := initClientCtx.WithCmdContext(cmd.Context()).WithInput(cmd.InOrStdin())
			clientCtx, err := client.ReadPersistentCommandFlags(clientCtx, cmd.Flags())
			if err != nil {
				return err
			}
			clientCtx, err = config.ReadFromClientConfig(clientCtx)
			if err != nil {
				return err
			}
			if err := client.SetCmdClientContextHandler(clientCtx, cmd); err != nil {
				return err
			}

			seed, err := LoadSeedEnv(os.Getenv)
			if err != nil {
				return err
			}
			if err := seed.applyToFlags(cmd); err != nil {
				return err
			}
			if err := mirrorProcessEnvPrefix(); err != nil {
				return err
			}
			appTemplate, appConfig := initAppConfig()
			if err := server.InterceptConfigsPreRunHandler(cmd, appTemplate, appConfig, initCometConfig()); err != nil {
				return err
			}
			svrCtx := server.GetServerContextFromCmd(cmd)
			seed.applyToServer(cmd, svrCtx)
			enableCometMetrics(svrCtx)
			return nil
		},
	}

	addCommands(rootCmd, tempApp)

	autoCliOpts := tempApp.AutoCliOpts()
	autoCliOpts.ClientCtx = initClientCtx
	if err := autoCliOpts.EnhanceRootCommand(rootCmd); err != nil {
		panic(err)
	}
	return rootCmd
}

func addCommands(rootCmd *cobra.Command, tempApp *app.App) {
	basics := tempApp.BasicModuleManager
	txConfig := tempApp.TxConfig()

	rootCmd.AddCommand(
		initCmd(tempApp),
		debug.Cmd(),
		pruning.Cmd(newApp, app.DefaultNodeHome),
		snapshot.Cmd(newApp),
		devnetCmd(),
		localnetCmd(),
		facadeCmd(),
		indexCmd(),
		benchCmd(),
		signerCmd(),
	)
	// The connection guard takes the public addresses before the SDK opens
	// its listeners and serves them once the node runs.
	guard := &startGuard{}
	server.AddCommandsWithStartCmdOptions(rootCmd, app.DefaultNodeHome, newApp, exportApp, server.StartCmdOptions{
		AddFlags: addFacadeStartFlags,
		PostSetup: func(svrCtx *server.Context, clientCtx client.Context, ctx context.Context, g *errgroup.Group) error {
			guard.serve(ctx, g)
			return startServices(svrCtx, clientCtx, ctx, g, guard.budget)
		},
	})
	if start, _, err := rootCmd.Find([]string{"start"}); err == nil && start.Name() == "start" {
		guard.wrapStartCmd(start)
		wrapStartWithKeyCheck(start)
	}
	rootCmd.AddCommand(
		server.StatusCommand(),
		genutilcli.Commands(txConfig, basics, app.DefaultNodeHome),
		queryCommand(),
		txCommand(),
		keys.Commands(),
	)
}

// initCmd is the SDK's init followed by AITBC's genesis defaults: uait
// metadata and deliberate consensus limits instead of CometBFT's.
func initCmd(tempApp *app.App) *cobra.Command {
	cmd := genutilcli.InitCmd(tempApp.BasicModuleManager, app.DefaultNodeHome)
	sdkInit := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := sdkInit(cmd, args); err != nil {
			return err
		}
		home := client.GetClientContextFromCmd(cmd).HomeDir
		genFile := filepath.Join(home, "config", "genesis.json")
		genesis, err := genutiltypes.AppGenesisFromFile(genFile)
		if err != nil {
			return fmt.Errorf("reading the genesis init wrote: %w", err)
		}
		if err := app.ApplyGenesisDefaults(genesis, tempApp.AppCodec(), tempApp.BasicModuleManager); err != nil {
			return err
		}
		if err := genesis.SaveAs(genFile); err != nil {
			return err
		}
		// The SDK writes its own defaults over two of ours when it creates
		// config.toml: a 5s commit timeout (AITBC's block time is the seed's 1s)
		// and a profiler on localhost:6060 (off: it has no place on a validator
		// and would collide between the nodes of a localnet).
		configToml := filepath.Join(home, "config", "config.toml")
		if err := setTomlValues(configToml, "consensus", map[string]string{"timeout_commit": DefaultBlockTime.String()}); err != nil {
			return err
		}
		if err := setTomlLiterals(configToml, "consensus", map[string]string{
			"double_sign_check_height": strconv.Itoa(keyguard.DefaultDoubleSignCheckHeight),
		}); err != nil {
			return err
		}
		return setTomlValues(configToml, "rpc", map[string]string{"pprof_laddr": ""})
	}
	return cmd
}

func queryCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "query",
		Aliases:                    []string{"q"},
		Short:                      "Querying subcommands",
		DisableFlagParsing:         false,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(
		rpc.QueryEventForTxCmd(),
		rpc.ValidatorCommand(),
		server.QueryBlockCmd(),
		server.QueryBlocksCmd(),
		server.QueryBlockResultsCmd(),
		authcmd.QueryTxsByEventsCmd(),
		authcmd.QueryTxCmd(),
	)
	return cmd
}

func txCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "tx",
		Short:                      "Transactions subcommands",
		DisableFlagParsing:         false,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(
		authcmd.GetSignCommand(),
		authcmd.GetSignBatchCommand(),
		authcmd.GetMultiSignCommand(),
		authcmd.GetMultiSignBatchCmd(),
		authcmd.GetValidateSignaturesCommand(),
		authcmd.GetBroadcastCommand(),
		authcmd.GetEncodeCommand(),
		authcmd.GetDecodeCommand(),
		authcmd.GetSimulateCmd(),
	)
	return cmd
}

// newApp is the AppCreator used by start, rollback, snapshots and pruning.
func newApp(logger log.Logger, db dbm.DB, appOpts servertypes.AppOptions) servertypes.Application {
	return app.New(logger, db, true, appOpts, server.DefaultBaseappOptions(appOpts)...)
}

// exportApp exports state at height (-1 for the latest) as a genesis.
func exportApp(logger log.Logger, db dbm.DB, height int64, forZeroHeight bool, jailAllowedAddrs []string,
	appOpts servertypes.AppOptions, modulesToExport []string,
) (servertypes.ExportedApp, error) {
	if cast.ToString(appOpts.Get(flags.FlagHome)) == "" {
		return servertypes.ExportedApp{}, errors.New("export: the node home directory is not set")
	}
	a := app.New(logger, db, height == -1, appOpts)
	if height != -1 {
		if err := a.LoadHeight(height); err != nil {
			return servertypes.ExportedApp{}, fmt.Errorf("loading height %d: %w", height, err)
		}
	}
	return a.ExportAppStateAndValidators(forZeroHeight, jailAllowedAddrs, modulesToExport)
}

type emptyAppOptions struct{}

func (emptyAppOptions) Get(string) any { return nil }
