package cmd

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"golang.org/x/sync/errgroup"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/server"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/facade"
	"github.com/aitbc/chain/indexer"
	"github.com/aitbc/chain/netguard"
)

// addFacadeStartFlags puts the facade's main settings on `aitbcd start`.
func addFacadeStartFlags(cmd *cobra.Command) {
	d := facade.DefaultConfig()
	cmd.Flags().Bool(facade.KeyEnable, d.Enable, "run the AITBC API facade (REST, WebSocket, metrics)")
	cmd.Flags().String(facade.KeyRESTAddress, d.RESTAddress, "facade REST listen address; empty turns it off (seed: RPC_HOST, RPC_PORT)")
	cmd.Flags().String(facade.KeyWSAddress, d.WSAddress, "facade WebSocket listen address; empty turns it off (seed: RPC_HOST, WS_PORT)")
	cmd.Flags().String(facade.KeyMetricsAddress, d.MetricsAddress, "Prometheus metrics listen address; empty turns it off (seed: METRICS_PORT)")
}

// facadeConfig reads the [facade] settings once the seed variables, flags
// and AITBCD_ variables have been folded into the server's viper.
func facadeConfig(svrCtx *server.Context) (facade.Config, error) {
	cfg, err := facade.FromOptions(svrCtx.Viper)
	if err != nil {
		return facade.Config{}, err
	}
	return cfg, cfg.Validate()
}

// enableCometMetrics makes CometBFT register its metrics in the default
// Prometheus registry, which the facade's metrics endpoint serves, without
// CometBFT opening a listener of its own (26660). An operator who configured
// CometBFT's listener keeps it.
func enableCometMetrics(svrCtx *server.Context) {
	if svrCtx == nil || svrCtx.Config == nil {
		return
	}
	cfg, err := facadeConfig(svrCtx)
	if err != nil || !cfg.Enable || cfg.MetricsAddress == "" || svrCtx.Config.Instrumentation.Prometheus {
		return
	}
	svrCtx.Config.Instrumentation.Prometheus = true
	svrCtx.Config.Instrumentation.PrometheusListenAddr = ""
}

// startFacadeInProcess is `aitbcd start`'s PostSetup: the facade fronts this
// node through CometBFT's in-process client and the node's gRPC listener.
func startFacadeInProcess(svrCtx *server.Context, clientCtx client.Context, ctx context.Context, g *errgroup.Group, conns netguard.Budget) error {
	cfg, err := facadeConfig(svrCtx)
	if err != nil {
		return err
	}
	if !cfg.Enable {
		svrCtx.Logger.Info("AITBC API facade disabled (facade.enable = false)")
		return nil
	}
	if !svrCtx.Viper.GetBool("grpc.enable") {
		svrCtx.Logger.Warn("gRPC is disabled: the facade's get_balance will answer 503")
	}
	node := facade.Node{
		CometRPC:          dialable(svrCtx.Config.RPC.ListenAddress),
		GRPC:              dialableHostPort(svrCtx.Viper.GetString("grpc.address")),
		TxConfig:          clientCtx.TxConfig,
		InterfaceRegistry: clientCtx.InterfaceRegistry,
		AccountPrefix:     app.AccountAddressPrefix,
		Conns:             conns,
	}
	// The SDK hands PostSetup CometBFT's in-process client (when the API or
	// gRPC server is on): the facade then calls the node directly instead of
	// through its JSON-RPC listener.
	if local, ok := clientCtx.Client.(rpcclient.Client); ok {
		node.Local = local
	}
	// The history endpoints read the database this node's indexer writes.
	var store *indexer.Store
	if indexerEnabled(svrCtx.Viper) && cfg.RESTAddress != "" {
		target, err := indexerTarget(svrCtx.Viper, "", svrCtx.Config.DBDir())
		if err != nil {
			return err
		}
		s, err := indexer.Open(ctx, target, indexerProjections()...)
		switch {
		case err == nil:
			store, node.History = s, s
		case target.Dialect == indexer.SQLite:
			// A local file that cannot be opened is a configuration error.
			return fmt.Errorf("indexer database %s (opened for the facade's history endpoints): %w", target, err)
		default:
			// An unreachable PostgreSQL must not stop the node (the indexer
			// retries); the history endpoints answer 503 until a restart.
			svrCtx.Logger.Error("facade: SQL index unreachable, get_txs and compute/history answer 503", "db", target.String(), "err", err)
		}
	}
	if err := facade.Start(ctx, g, cfg, node, svrCtx.Logger); err != nil {
		if store != nil {
			store.Close()
		}
		return err
	}
	return nil
}

// indexerEnabled reads indexer.enable: an app.toml written before the
// indexer existed has no [indexer] section, and such a node has it on.
func indexerEnabled(v *viper.Viper) bool {
	return !v.IsSet(indexer.FlagEnable) || v.GetBool(indexer.FlagEnable)
}

// dialable turns a listen address such as tcp://0.0.0.0:26657 into one a
// client can dial.
func dialable(listen string) string {
	u, err := url.Parse(listen)
	if err != nil || u.Host == "" {
		return listen
	}
	u.Host = dialableHostPort(u.Host)
	return u.String()
}

func dialableHostPort(hostport string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// Flags of `aitbcd facade`, named like the [facade] keys without the section.
// --grpc is spelled --grpc-address inside: the SDK binds every flag into the
// viper that app.toml is decoded from, and a "grpc" key would hide the
// [grpc] section.
const (
	flagFacadeNode = "node"
	flagFacadeGRPC = "grpc-address"
)

// facadeCmd runs the facade alone against a node that may be on another
// machine, so read traffic can be spread over several facades.
func facadeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "facade",
		Short: "Run the AITBC API facade (REST, WebSocket, metrics) against a node's CometBFT RPC and gRPC",
		Long: `Run the AITBC API facade on its own, in front of a node reached through its
CometBFT RPC (--node) and Cosmos gRPC (--grpc). Every [facade] setting of
app.toml is a flag here; RPC_HOST, RPC_PORT, WS_PORT and METRICS_PORT apply
unless the matching flag is given.`,
		Example: "aitbcd facade --node tcp://10.0.0.5:26657 --grpc 10.0.0.5:9091 --rest-address 0.0.0.0:9080",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := facadeConfigFromFlags(cmd.Flags())
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			nodeAddr, _ := cmd.Flags().GetString(flagFacadeNode)
			grpcAddr, _ := cmd.Flags().GetString(flagFacadeGRPC)
			clientCtx := client.GetClientContextFromCmd(cmd)
			logger := server.GetServerContextFromCmd(cmd).Logger

			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			g, ctx := errgroup.WithContext(ctx)
			target := facade.Node{
				CometRPC: nodeAddr, GRPC: grpcAddr, TxConfig: clientCtx.TxConfig,
				InterfaceRegistry: clientCtx.InterfaceRegistry, AccountPrefix: app.AccountAddressPrefix,
			}
			// With a database the facade also serves the SQL index's history
			// endpoints; without one they answer 503.
			var store *indexer.Store
			dbURL, _ := cmd.Flags().GetString(flagDatabaseURL)
			if dbURL != "" || strings.TrimSpace(os.Getenv(EnvDatabaseURL)) != "" {
				svrCtx := server.GetServerContextFromCmd(cmd)
				home := clientCtx.HomeDir
				if svrCtx.Config != nil && svrCtx.Config.RootDir != "" {
					home = svrCtx.Config.RootDir
				}
				dbTarget, err := indexerTarget(svrCtx.Viper, dbURL, filepath.Join(home, "data"))
				if err != nil {
					return err
				}
				if store, err = indexer.Open(ctx, dbTarget, indexerProjections()...); err != nil {
					return fmt.Errorf("index database %s: %w", dbTarget, err)
				}
				target.History = store
				logger.Info("facade serving the SQL index", "db", dbTarget.String())
			}
			if err := facade.Start(ctx, g, cfg, target, logger); err != nil {
				if store != nil {
					store.Close()
				}
				return err
			}
			return g.Wait()
		},
	}
	d := facade.DefaultConfig()
	f := cmd.Flags()
	f.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "grpc" {
			name = flagFacadeGRPC
		}
		return pflag.NormalizedName(name)
	})
	f.String(flagFacadeNode, "tcp://127.0.0.1:26657", "CometBFT RPC address of the node")
	f.String(flagFacadeGRPC, "127.0.0.1:9091", "Cosmos gRPC address of the node (also --grpc)")
	f.String(flagDatabaseURL, "", "SQL index to serve get_txs and compute/history from (overrides DATABASE_URL): sqlite:///abs/path.db or postgresql://…")
	f.String(short(facade.KeyRESTAddress), d.RESTAddress, "REST listen address; empty turns it off (seed: RPC_HOST, RPC_PORT)")
	f.String(short(facade.KeyWSAddress), d.WSAddress, "WebSocket listen address; empty turns it off (seed: RPC_HOST, WS_PORT)")
	f.String(short(facade.KeyMetricsAddress), d.MetricsAddress, "Prometheus metrics listen address; empty turns it off (seed: METRICS_PORT)")
	f.Duration(short(facade.KeyRPCTimeout), d.RPCTimeout, "longest a REST request may take")
	f.Int64(short(facade.KeyMaxBodyBytes), d.MaxBodyBytes, "largest request body in bytes")
	f.Float64(short(facade.KeyRateLimit), d.RateLimit, "requests per second per client IP; 0 turns limiting off")
	f.Int(short(facade.KeyRateBurst), d.RateBurst, "requests a client may burst above the rate")
	f.StringSlice(short(facade.KeyCORSAllowedOrigins), d.CORSAllowedOrigins, "browser origins allowed (comma-separated; * for any)")
	f.String(short(facade.KeyTLSCertFile), "", "TLS certificate (PEM) for REST and WebSocket")
	f.String(short(facade.KeyTLSKeyFile), "", "TLS key (PEM) for REST and WebSocket")
	f.Int(short(facade.KeyWSMaxClients), d.WSMaxClients, "most WebSocket clients at once; 0 = no limit")
	f.Int(short(facade.KeyWSQueueSize), d.WSQueueSize, "messages queued per WebSocket client before it is disconnected as slow")
	f.Duration(short(facade.KeyWSPingInterval), d.WSPingInterval, "WebSocket keep-alive ping interval")
	f.Int64(short(facade.KeyWSMaxResume), d.WSMaxResume, "how many blocks back new_blocks may resume")
	f.Duration(short(facade.KeyMempoolPollInterval), d.MempoolPollInterval, "how often the mempool is polled for new_transactions")
	f.Int(short(facade.KeyWSMaxClientsPerIP), d.WSMaxClientsPerIP, "most WebSocket clients from one IP at once; 0 = no limit")
	f.Float64(short(facade.KeyWSUpgradeRate), d.WSUpgradeRate, "WebSocket upgrades per second per client IP; 0 turns limiting off")
	f.Int(short(facade.KeyWSUpgradeBurst), d.WSUpgradeBurst, "WebSocket upgrades a client IP may burst above the rate")
	f.Duration(short(facade.KeyHealthMaxBlockAge), d.HealthMaxBlockAge, "latest block age beyond which /health says stalled; 0 = 10x the block time, at least 5s")
	return cmd
}

func short(key string) string { return strings.TrimPrefix(key, "facade.") }

// flagGetter exposes changed flags under their [facade] keys; the seed's
// variables fill the addresses whose flags were not given.
type flagGetter struct {
	flags *pflag.FlagSet
	seed  map[string]string
}

func (g flagGetter) Get(key string) any {
	if f := g.flags.Lookup(short(key)); f != nil && f.Changed {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			return sv.GetSlice()
		}
		return f.Value.String()
	}
	if v, ok := g.seed[key]; ok {
		return v
	}
	return nil
}

func facadeConfigFromFlags(flags *pflag.FlagSet) (facade.Config, error) {
	seed, err := LoadSeedEnv(os.Getenv)
	if err != nil {
		return facade.Config{}, err
	}
	d := facade.DefaultConfig()
	addrs := map[string]string{}
	apply := func(key, addr string, port int) {
		if seed.RPCHost != "" && key != facade.KeyMetricsAddress {
			addr = facade.WithHost(addr, seed.RPCHost)
		}
		if port != 0 {
			addr = facade.WithPort(addr, port)
		}
		if addr != "" {
			addrs[key] = addr
		}
	}
	apply(facade.KeyRESTAddress, d.RESTAddress, seed.RPCPort)
	apply(facade.KeyWSAddress, d.WSAddress, seed.WSPort)
	apply(facade.KeyMetricsAddress, d.MetricsAddress, seed.MetricsPort)
	cfg, err := facade.FromOptions(flagGetter{flags: flags, seed: addrs})
	if err != nil {
		return facade.Config{}, fmt.Errorf("aitbcd facade: %w", err)
	}
	return cfg, nil
}
