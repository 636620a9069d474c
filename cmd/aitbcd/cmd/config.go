package cmd

import (
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	serverconfig "github.com/cosmos/cosmos-sdk/server/config"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/indexer"
)

// Default addresses of the Cosmos services. gRPC moves off the SDK's 9090,
// which the AITBC seed gives to Prometheus metrics.
const (
	DefaultGRPCAddress = "localhost:9091"
	DefaultAPIAddress  = "tcp://localhost:1317"
	// DefaultBlockTime is the seed's BLOCK_TIME default; it becomes CometBFT's timeout_commit.
	DefaultBlockTime = time.Second
	// DefaultQueryGasLimit bounds the gas one gRPC/REST query may use, so a
	// public node cannot be tied up by an expensive query (the SDK's 0 means unbounded).
	DefaultQueryGasLimit = 50_000_000
)

// appConfig is app.toml: the SDK's sections and AITBC's own.
type appConfig struct {
	serverconfig.Config `mapstructure:",squash"`
	Indexer             indexer.Config `mapstructure:"indexer"`
}

// initAppConfig returns the app.toml template and defaults written by `init`
// and read at start. Validators enforce a minimum gas price unless an operator
// changes it deliberately.
func initAppConfig() (string, any) {
	cfg := serverconfig.DefaultConfig()
	cfg.MinGasPrices = app.DefaultMinGasPrices
	cfg.QueryGasLimit = DefaultQueryGasLimit
	cfg.GRPC.Address = DefaultGRPCAddress
	cfg.API.Enable = true
	cfg.API.Address = DefaultAPIAddress
	return serverconfig.DefaultConfigTemplate + indexer.ConfigTemplate,
		appConfig{Config: *cfg, Indexer: indexer.DefaultConfig()}
}

// initCometConfig returns the config.toml defaults written by `init`.
func initCometConfig() *cmtcfg.Config {
	cfg := cmtcfg.DefaultConfig()
	cfg.Consensus.TimeoutCommit = DefaultBlockTime
	// Index every transaction so explorers and `query tx` find them by hash and events.
	cfg.TxIndex.Indexer = "kv"
	// No profiling endpoint unless asked for: it would collide between the
	// nodes of a localnet and has no place on a validator.
	cfg.RPC.PprofListenAddress = ""
	return cfg
}
