package cmd

import (
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	serverconfig "github.com/cosmos/cosmos-sdk/server/config"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/facade"
	"github.com/aitbc/chain/indexer"
	"github.com/aitbc/chain/keyguard"
	"github.com/aitbc/chain/netguard"
)

// Default addresses of the Cosmos services. gRPC moves off the SDK's 9090,
// which the AITBC seed gives to Prometheus metrics.
const (
	DefaultGRPCAddress = "localhost:9091"
	DefaultAPIAddress  = "tcp://localhost:1317"
	// DefaultPeerGossipSleep is config.toml's peer_gossip_sleep_duration.
	DefaultPeerGossipSleep = 10 * time.Millisecond
	// DefaultBlockTime is the seed's BLOCK_TIME default; it becomes CometBFT's timeout_commit.
	DefaultBlockTime = time.Second
	// DefaultQueryGasLimit bounds the gas one gRPC/REST query may use, so a
	// public node cannot be tied up by an expensive query (the SDK's 0 means unbounded).
	DefaultQueryGasLimit = 50_000_000
	// DefaultIAVLCacheSize is the IAVL node cache of each store, in nodes. The
	// SDK's 781,250 let a devnet under load grow past 1.9 GiB RSS within a few
	// minutes (the bank and auth trees fill their caches); 100,000 kept it under
	// 0.7 GiB at the same or better throughput (BENCHMARKS.md, tuning).
	DefaultIAVLCacheSize = 100_000
)

// AppConfig is app.toml: the SDK's sections plus the AITBC facade's and the SQL indexer's.
type AppConfig struct {
	serverconfig.Config `mapstructure:",squash"`

	Facade  facade.Config   `mapstructure:"facade"`
	Indexer indexer.Config  `mapstructure:"indexer"`
	Guard   netguard.Config `mapstructure:"guard"`
}

// initAppConfig returns the app.toml template and defaults written by `init`
// and read at start. Validators enforce a minimum gas price unless an operator
// changes it deliberately.
func initAppConfig() (string, any) {
	return serverconfig.DefaultConfigTemplate + facadeConfigTemplate + indexer.ConfigTemplate + netguard.ConfigTemplate,
		AppConfig{Config: *DefaultServerConfig(), Facade: facade.DefaultConfig(), Indexer: indexer.DefaultConfig(), Guard: netguard.DefaultConfig()}
}

// DefaultServerConfig is the SDK part of the app.toml `init` writes: the
// SDK's defaults with AITBC's changes (benchmarks build the app with it, so
// they measure what a node runs).
func DefaultServerConfig() *serverconfig.Config {
	cfg := serverconfig.DefaultConfig()
	cfg.MinGasPrices = app.DefaultMinGasPrices
	cfg.QueryGasLimit = DefaultQueryGasLimit
	cfg.IAVLCacheSize = DefaultIAVLCacheSize
	cfg.BlockExecutor = app.DefaultBlockExecutor
	cfg.GRPC.Address = DefaultGRPCAddress
	cfg.API.Enable = true
	cfg.API.Address = DefaultAPIAddress
	return cfg
}

// facadeConfigTemplate is the [facade] section of app.toml.
const facadeConfigTemplate = `
###############################################################################
###                         AITBC API facade                                ###
###############################################################################

# The seed's REST API, WebSocket topics and Prometheus metrics, served by
# ` + "`aitbcd start`" + `. Each listener can be turned off with an empty address.
# The seed's RPC_HOST, RPC_PORT, WS_PORT and METRICS_PORT override the addresses.
[facade]

# Run the facade inside aitbcd start.
enable = {{ .Facade.Enable }}

# REST API: /rpc/*, /health, /sync_status, /openapi.json (seed: RPC_HOST:RPC_PORT).
# The seed binds 0.0.0.0; AITBC binds loopback unless told otherwise.
rest-address = "{{ .Facade.RESTAddress }}"

# WebSocket topics new_blocks, new_transactions, consensus_events (seed: WS_PORT).
ws-address = "{{ .Facade.WSAddress }}"

# Prometheus metrics at /metrics: the seed's blockchain_* series, the facade's,
# CometBFT's and the Go process collectors (seed: METRICS_PORT).
metrics-address = "{{ .Facade.MetricsAddress }}"

# The longest a REST request may take, including waits on the node (the seed's rpc_timeout).
rpc-timeout = "{{ .Facade.RPCTimeout }}"

# Largest accepted request body in bytes (413 beyond).
max-body-bytes = {{ .Facade.MaxBodyBytes }}

# Requests per second allowed per client IP, and the burst above that; 0 turns limiting off (429 beyond).
rate-limit = {{ .Facade.RateLimit }}
rate-burst = {{ .Facade.RateBurst }}

# Browser origins allowed to call the REST API and open WebSockets, e.g.
# ["https://explorer.example.org"]; "*" allows any. Empty: no cross-origin browser access.
cors-allowed-origins = [{{ range $i, $o := .Facade.CORSAllowedOrigins }}{{ if $i }}, {{ end }}"{{ $o }}"{{ end }}]

# Serve REST and WebSocket over TLS (https, wss) with this certificate and key (PEM).
tls-cert-file = "{{ .Facade.TLSCertFile }}"
tls-key-file = "{{ .Facade.TLSKeyFile }}"

# WebSocket: most clients at once (0 = no limit), messages queued per client
# before a slow client is disconnected, keep-alive ping interval, and how many
# blocks back a client may resume new_blocks with from_height.
ws-max-clients = {{ .Facade.WSMaxClients }}
ws-queue-size = {{ .Facade.WSQueueSize }}
ws-ping-interval = "{{ .Facade.WSPingInterval }}"
ws-max-resume = {{ .Facade.WSMaxResume }}

# WebSocket per client IP: most clients at once (0 = no limit; 429 beyond), and
# upgrades per second with their burst (0 turns the rate limit off; 429 beyond).
# Clients behind one NAT or proxy share these.
ws-max-clients-per-ip = {{ .Facade.WSMaxClientsPerIP }}
ws-upgrade-rate = {{ .Facade.WSUpgradeRate }}
ws-upgrade-burst = {{ .Facade.WSUpgradeBurst }}

# /health answers 503 "stalled" once the latest block is older than this.
# "0s" derives it: 10 times the gap between the latest two blocks, at least 5s.
health-max-block-age = "{{ .Facade.HealthMaxBlockAge }}"

# How often the node's mempool is polled for new_transactions.
mempool-poll-interval = "{{ .Facade.MempoolPollInterval }}"
`

// initCometConfig returns the config.toml defaults written by `init`.
func initCometConfig() *cmtcfg.Config {
	cfg := cmtcfg.DefaultConfig()
	cfg.Consensus.TimeoutCommit = DefaultBlockTime
	// A gossip routine with nothing to send sleeps this long before looking
	// again, so each consensus step (block parts, prevotes, precommits) can
	// wait up to one sleep per hop: CometBFT's 100ms default adds hundreds of
	// milliseconds to sub-second blocks (BENCHMARKS.md).
	cfg.Consensus.PeerGossipSleepDuration = DefaultPeerGossipSleep
	// Index every transaction so explorers and `query tx` find them by hash and events.
	cfg.TxIndex.Indexer = "kv"
	// No profiling endpoint unless asked for: it would collide between the
	// nodes of a localnet and has no place on a validator.
	cfg.RPC.PprofListenAddress = ""
	// Refuse to join consensus when the key signed one of the last blocks
	// elsewhere (keyguard.DefaultDoubleSignCheckHeight says why 10).
	cfg.Consensus.DoubleSignCheckHeight = keyguard.DefaultDoubleSignCheckHeight
	return cfg
}
