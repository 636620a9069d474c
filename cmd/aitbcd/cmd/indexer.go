package cmd

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	"golang.org/x/sync/errgroup"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/server"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/indexer"
	"github.com/aitbc/chain/netguard"
)

// startIndexer is the start command's hook for the SQL indexer: with
// indexer.enable it follows the node's own blocks through the in-process
// CometBFT client and writes them to the index database until the node stops.
// A bad database setting fails start-up; an unreachable PostgreSQL does not
// (the indexer retries and catches up, consensus never waits for it).
func startIndexer(svrCtx *server.Context, clientCtx client.Context, ctx context.Context, g *errgroup.Group) error {
	v := svrCtx.Viper
	if !indexerEnabled(v) {
		svrCtx.Logger.Info("SQL indexer disabled (app.toml indexer.enable = false)")
		return nil
	}
	target, err := indexerTarget(v, "", svrCtx.Config.DBDir())
	if err != nil {
		return err
	}
	var source indexer.Source
	if clientCtx.Client != nil {
		source = clientCtx.Client
	} else {
		// API and gRPC are both off, so the SDK made no in-process client:
		// read the node's own RPC.
		source, err = rpchttp.NewWithTimeout(svrCtx.Config.RPC.ListenAddress, "/websocket", 30)
		if err != nil {
			return fmt.Errorf("indexer: CometBFT RPC client: %w", err)
		}
	}
	opts := indexerOptions(v, target, source, clientCtx)
	opts.Logger = svrCtx.Logger.With("module", "indexer")
	if sub, ok := source.(indexer.Subscriber); ok && clientCtx.Client != nil {
		// The in-process client: new-block events wake the indexer.
		if wake, err := indexer.NewBlockNotifications(ctx, sub); err == nil {
			opts.Wake = wake
		} else {
			svrCtx.Logger.Info("indexer: no new-block notifications, polling", "err", err)
		}
	}
	if target.Dialect == indexer.SQLite {
		// A local file that cannot be opened is a configuration error: say so now.
		s, err := indexer.Open(ctx, target, opts.Projections...)
		if err != nil {
			return fmt.Errorf("indexer database %s: %w", target, err)
		}
		s.Close()
	}
	ix, err := indexer.New(opts)
	if err != nil {
		return err
	}
	svrCtx.Logger.Info("starting SQL indexer", "db", target.String())
	g.Go(func() error {
		defer ix.Close()
		return ix.Run(ctx)
	})
	return nil
}

// indexerTarget resolves the index database: an explicit flag value, then
// AITBCD_INDEXER_DATABASE_URL, then DATABASE_URL, then app.toml's
// indexer.database-url, then SQLite in dataDir. Errors name the setting used.
func indexerTarget(v *viper.Viper, flagValue, dataDir string) (indexer.Target, error) {
	raw, setting := flagValue, "--database-url"
	if raw == "" {
		switch {
		case lookupPrefixed(indexer.FlagDatabaseURL):
			raw, setting = v.GetString(indexer.FlagDatabaseURL), EnvPrefix+"_INDEXER_DATABASE_URL"
		case strings.TrimSpace(os.Getenv(EnvDatabaseURL)) != "":
			raw, setting = os.Getenv(EnvDatabaseURL), EnvDatabaseURL
		default:
			raw, setting = v.GetString(indexer.FlagDatabaseURL), "app.toml indexer.database-url"
		}
	}
	target, err := indexer.ParseDatabaseURL(raw, dataDir)
	if err != nil {
		return indexer.Target{}, fmt.Errorf("invalid %s=%q: %w", setting, indexer.Redact(raw), err)
	}
	return target, nil
}

func indexerOptions(v *viper.Viper, target indexer.Target, source indexer.Source, clientCtx client.Context) indexer.Options {
	return indexer.Options{
		Target:        target,
		Source:        source,
		Decoder:       indexer.SDKTxDecoder(clientCtx.TxConfig.TxDecoder()),
		Projections:   indexerProjections(),
		AccountPrefix: app.AccountAddressPrefix,
		PollInterval:  v.GetDuration(indexer.FlagPollInterval),
		BatchSize:     v.GetInt(indexer.FlagBatchSize),
	}
}

// indexerProjections are the modules' SQL projections: x/compute's jobs,
// receipts and settlements.
func indexerProjections() []indexer.Projection {
	return []indexer.Projection{indexer.ComputeProjection{}}
}

const flagDatabaseURL = "database-url"

// indexCmd runs the indexer outside the node, against any node's CometBFT RPC.
func indexCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "index",
		Short: "SQL index of the chain: run the indexer against a node, or re-index from a height",
		Long: `The SQL index holds blocks, transactions, events and the accounts each transaction
touched. aitbcd start runs the indexer itself (app.toml [indexer]); these commands
run it on its own against a node's CometBFT RPC (--node), for example on another machine.
The database is --database-url, else DATABASE_URL, else app.toml indexer.database-url,
else the SQLite file data/index.db in --home.`,
		RunE: client.ValidateCmd,
	}
	cmd.AddCommand(indexRunCmd(), indexRebuildCmd())
	return cmd
}

func indexRunCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Follow a node and index every committed block until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ix, target, err := standaloneIndexer(cmd)
			if err != nil {
				return err
			}
			defer ix.Close()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			cmd.PrintErrf("indexing into %s; Ctrl-C stops\n", target)
			return ix.Run(ctx)
		},
	}
	addIndexFlags(cmd)
	return cmd
}

func indexRebuildCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rebuild --from HEIGHT",
		Short: "Delete the index from a height on and index those blocks again from the node's block store",
		Long: `rebuild deletes every indexed row from --from on, moves the cursor back and re-indexes
up to the node's latest height through its CometBFT RPC (which serves the block store
and the stored block results). An indexer running inside the node notices the moved
cursor and carries on from there; writes are idempotent, so the two never duplicate.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, _ := cmd.Flags().GetInt64("from")
			if from < 1 {
				return fmt.Errorf("--from must be a height of at least 1")
			}
			ix, target, err := standaloneIndexer(cmd)
			if err != nil {
				return err
			}
			defer ix.Close()
			ctx := cmd.Context()
			s, err := indexer.Open(ctx, target, indexerProjections()...)
			if err != nil {
				return err
			}
			err = s.Rewind(ctx, from)
			s.Close()
			if err != nil {
				return fmt.Errorf("rewinding to %d: %w", from, err)
			}
			reached, err := ix.CatchUp(ctx)
			if err != nil {
				return fmt.Errorf("re-indexing from %d: %w", from, err)
			}
			cmd.Printf("re-indexed heights %d to %d into %s\n", from, reached, target)
			return nil
		},
	}
	cmd.Flags().Int64("from", 0, "first height to index again")
	addIndexFlags(cmd)
	return cmd
}

func addIndexFlags(cmd *cobra.Command) {
	cmd.Flags().String(flags.FlagNode, "tcp://localhost:26657", "CometBFT RPC of the node to index: <host>:<port>")
	cmd.Flags().String(flagDatabaseURL, "", "index database (overrides DATABASE_URL): sqlite:///abs/path.db or postgresql://…")
	cmd.Flags().Duration("poll-interval", indexer.DefaultPollInterval, "how often a caught-up indexer asks the node for a new block")
	cmd.Flags().Int("batch-size", indexer.DefaultBatchSize, "most blocks written in one SQL transaction")
}

func standaloneIndexer(cmd *cobra.Command) (*indexer.Indexer, indexer.Target, error) {
	clientCtx := client.GetClientContextFromCmd(cmd)
	svrCtx := server.GetServerContextFromCmd(cmd)
	dbURL, _ := cmd.Flags().GetString(flagDatabaseURL)
	home := clientCtx.HomeDir
	if svrCtx.Config != nil && svrCtx.Config.RootDir != "" {
		home = svrCtx.Config.RootDir
	}
	target, err := indexerTarget(svrCtx.Viper, dbURL, filepath.Join(home, "data"))
	if err != nil {
		return nil, indexer.Target{}, err
	}
	node, _ := cmd.Flags().GetString(flags.FlagNode)
	source, err := rpchttp.NewWithTimeout(node, "/websocket", 30)
	if err != nil {
		return nil, indexer.Target{}, fmt.Errorf("--node %s: %w", node, err)
	}
	opts := indexerOptions(svrCtx.Viper, target, source, clientCtx)
	opts.PollInterval, _ = cmd.Flags().GetDuration("poll-interval")
	opts.BatchSize, _ = cmd.Flags().GetInt("batch-size")
	opts.MaxBackoff = 10 * time.Second
	opts.Logger = svrCtx.Logger.With("module", "indexer")
	ix, err := indexer.New(opts)
	return ix, target, err
}

// startServices is the start command's PostSetup: the AITBC API facade, then
// the SQL indexer, under the node's context and error group.
func startServices(svrCtx *server.Context, clientCtx client.Context, ctx context.Context, g *errgroup.Group, conns netguard.Budget) error {
	if err := startFacadeInProcess(svrCtx, clientCtx, ctx, g, conns); err != nil {
		return err
	}
	return startIndexer(svrCtx, clientCtx, ctx, g)
}
