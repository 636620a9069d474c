package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cast"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/server"

	"github.com/aitbc/chain/facade"
	"github.com/aitbc/chain/indexer"
	"github.com/aitbc/chain/networks/localnet"
)

// The AITBC seed documents its node settings as plain environment variables.
// They override config.toml/app.toml at run time; an explicit flag or an
// AITBCD_-prefixed variable still wins over them.
const (
	EnvBlockTime     = "BLOCK_TIME"
	EnvLogLevel      = "LOG_LEVEL"
	EnvLogFormat     = "LOG_FORMAT" // json or plain: --log_format
	EnvConsensusMode = localnet.EnvConsensusMode
	EnvRPCHost       = "RPC_HOST"              // host of the facade's REST and WebSocket listeners
	EnvRPCPort       = localnet.EnvRPCPort     // facade REST port (9080)
	EnvWSPort        = localnet.EnvWSPort      // facade WebSocket port (9081)
	EnvMetricsPort   = localnet.EnvMetricsPort // Prometheus metrics port (9090)
	EnvDatabaseURL   = localnet.EnvDatabaseURL
)

// MaxBlockTime bounds BLOCK_TIME: past a minute a devnet is not a devnet.
const MaxBlockTime = time.Minute

// SeedEnv holds the seed's environment settings that were set and valid.
type SeedEnv struct {
	BlockTime time.Duration // 0 when BLOCK_TIME is unset
	LogLevel  string        // "" when LOG_LEVEL is unset
	LogFormat string        // "json", "plain", or "" when LOG_FORMAT is unset
	// ConsensusMode is the x/poa mode a new chain (devnet, localnet) starts
	// in; poa when CONSENSUS_MODE is unset. A running chain changes mode only
	// by governance.
	ConsensusMode localnet.ConsensusMode
	RPCHost       string // "" when RPC_HOST is unset
	RPCPort       int    // 0 when RPC_PORT is unset
	WSPort        int    // 0 when WS_PORT is unset
	MetricsPort   int    // 0 when METRICS_PORT is unset
	// DatabaseURL selects the SQL index database ("" when DATABASE_URL is
	// unset: app.toml's indexer.database-url, or SQLite in the data directory).
	DatabaseURL string

	// givenFlags are the flags the command line set, recorded by applyToFlags
	// before the SDK reads the config files: the SDK then copies every
	// app.toml value into its flag, which makes all of them look "changed".
	givenFlags map[string]bool
}

// LoadSeedEnv reads and validates the seed's environment variables. A bad
// value is an error that names the variable and says what is accepted.
func LoadSeedEnv(getenv func(string) string) (SeedEnv, error) {
	env := SeedEnv{}
	if raw := strings.TrimSpace(getenv(EnvBlockTime)); raw != "" {
		d, err := ParseBlockTime(raw)
		if err != nil {
			return SeedEnv{}, fmt.Errorf("invalid %s=%q: %w", EnvBlockTime, raw, err)
		}
		env.BlockTime = d
	}
	if raw := strings.TrimSpace(getenv(EnvLogLevel)); raw != "" {
		if err := ValidateLogLevel(raw); err != nil {
			return SeedEnv{}, fmt.Errorf("invalid %s=%q: %w", EnvLogLevel, raw, err)
		}
		env.LogLevel = raw
	}
	if raw := strings.TrimSpace(getenv(EnvLogFormat)); raw != "" {
		if raw != LogFormatJSON && raw != LogFormatPlain {
			return SeedEnv{}, fmt.Errorf("invalid %s=%q: want %s (one JSON object a line) or %s", EnvLogFormat, raw, LogFormatJSON, LogFormatPlain)
		}
		env.LogFormat = raw
	}
	mode, _, err := localnet.ConsensusModeFromEnv(getenv)
	if err != nil {
		return SeedEnv{}, err
	}
	env.ConsensusMode = mode
	if raw := strings.TrimSpace(getenv(EnvDatabaseURL)); raw != "" {
		// Syntax only here; the database itself is opened by the indexer.
		if _, err := indexer.ParseDatabaseURL(raw, ""); err != nil {
			return SeedEnv{}, fmt.Errorf("invalid %s=%q: %w", EnvDatabaseURL, indexer.Redact(raw), err)
		}
		env.DatabaseURL = raw
	}
	if raw := strings.TrimSpace(getenv(EnvRPCHost)); raw != "" {
		if err := ValidateHost(raw); err != nil {
			return SeedEnv{}, fmt.Errorf("invalid %s=%q: %w", EnvRPCHost, raw, err)
		}
		env.RPCHost = strings.Trim(raw, "[]")
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{EnvRPCPort, &env.RPCPort}, {EnvWSPort, &env.WSPort}, {EnvMetricsPort, &env.MetricsPort}} {
		if raw := strings.TrimSpace(getenv(p.name)); raw != "" {
			port, err := facade.ParsePort(raw)
			if err != nil {
				return SeedEnv{}, fmt.Errorf("invalid %s=%q: %w", p.name, raw, err)
			}
			*p.dst = port
		}
	}
	ports := map[int]string{}
	for _, p := range []struct {
		name string
		port int
	}{{EnvRPCPort, env.RPCPort}, {EnvWSPort, env.WSPort}, {EnvMetricsPort, env.MetricsPort}} {
		if p.port == 0 {
			continue
		}
		if other, dup := ports[p.port]; dup {
			return SeedEnv{}, fmt.Errorf("invalid %s=%d: %s is the same port; each service needs its own", p.name, p.port, other)
		}
		ports[p.port] = p.name
	}
	return env, nil
}

// ValidateHost accepts an IP address (IPv6 with or without brackets) or a
// host name such as localhost.
func ValidateHost(raw string) error {
	host := strings.Trim(raw, "[]")
	if net.ParseIP(host) != nil {
		return nil
	}
	if len(host) > 253 || strings.ContainsAny(host, " :/@?#") {
		return fmt.Errorf("want an IP address or host name such as 127.0.0.1, 0.0.0.0 or localhost")
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return fmt.Errorf("want an IP address or host name such as 127.0.0.1, 0.0.0.0 or localhost")
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return fmt.Errorf("want an IP address or host name such as 127.0.0.1, 0.0.0.0 or localhost")
			}
		}
	}
	return nil
}

// ParseBlockTime accepts a Go duration ("1s", "500ms") or whole seconds ("2").
func ParseBlockTime(raw string) (time.Duration, error) {
	d, err := time.ParseDuration(raw)
	if err != nil {
		secs, convErr := strconv.ParseUint(raw, 10, 32)
		if convErr != nil {
			return 0, fmt.Errorf("want a duration such as 1s or 500ms")
		}
		d = time.Duration(secs) * time.Second
	}
	if d <= 0 || d > MaxBlockTime {
		return 0, fmt.Errorf("want a duration above 0 and at most %s", MaxBlockTime)
	}
	return d, nil
}

// ValidateLogLevel accepts a level (trace, debug, info, warn, error) or a
// per-module filter such as "consensus:debug,*:info".
func ValidateLogLevel(raw string) error {
	if _, err := zerolog.ParseLevel(raw); err == nil {
		return nil
	}
	if _, err := log.ParseLogLevel(raw); err != nil {
		return fmt.Errorf("want trace, debug, info, warn, error or a filter like \"consensus:debug,*:info\"")
	}
	return nil
}

// The values --log_format (and LOG_FORMAT) accept.
const (
	LogFormatJSON  = flags.OutputFormatJSON
	LogFormatPlain = "plain"
)

// applyToFlags feeds LOG_LEVEL to --log_level and LOG_FORMAT to
// --log_format, each unless its flag or AITBCD_ variable was given, and
// records which flags the command line gave. It runs before the logger is built and before the SDK reads
// config.toml and app.toml (server.InterceptConfigsPreRunHandler).
func (e *SeedEnv) applyToFlags(cmd *cobra.Command) error {
	e.givenFlags = map[string]bool{}
	cmd.Flags().Visit(func(f *pflag.Flag) { e.givenFlags[f.Name] = true })
	for _, v := range []struct{ flag, value string }{{flags.FlagLogLevel, e.LogLevel}, {flags.FlagLogFormat, e.LogFormat}} {
		if v.value == "" {
			continue
		}
		f := cmd.Flags().Lookup(v.flag)
		if f == nil || f.Changed || lookupPrefixed(v.flag) {
			continue
		}
		if err := cmd.Flags().Set(v.flag, v.value); err != nil {
			return err
		}
	}
	return nil
}

// applyToServer sets CometBFT's commit timeout, the pause between blocks, from
// BLOCK_TIME, and the facade's listen addresses from RPC_HOST and the ports,
// each unless its flag or AITBCD_ variable was given.
func (e SeedEnv) applyToServer(cmd *cobra.Command, ctx *server.Context) {
	if ctx == nil || ctx.Config == nil {
		return
	}
	if e.BlockTime != 0 {
		ctx.Config.Consensus.TimeoutCommit = e.BlockTime
		ctx.Viper.Set("consensus.timeout_commit", e.BlockTime.String())
	}
	explicit := func(key string) bool {
		if e.givenFlags != nil {
			// After the SDK's config interception f.Changed is also true
			// for every flag app.toml sets (server.bindFlags).
			if e.givenFlags[key] {
				return true
			}
		} else if f := cmd.Flags().Lookup(key); f != nil && f.Changed {
			return true
		}
		return lookupPrefixed(key)
	}
	set := func(key string, change func(string) string) {
		if explicit(key) {
			return
		}
		current := facade.DefaultConfig()
		addr := map[string]string{
			facade.KeyRESTAddress: current.RESTAddress, facade.KeyWSAddress: current.WSAddress,
			facade.KeyMetricsAddress: current.MetricsAddress,
		}[key]
		if v := ctx.Viper.Get(key); v != nil {
			addr = cast.ToString(v)
		}
		ctx.Viper.Set(key, change(addr))
	}
	port := func(p int) func(string) string {
		return func(addr string) string { return facade.WithPort(addr, p) }
	}
	if e.RPCHost != "" {
		host := func(addr string) string { return facade.WithHost(addr, e.RPCHost) }
		set(facade.KeyRESTAddress, host)
		set(facade.KeyWSAddress, host)
	}
	if e.RPCPort != 0 {
		set(facade.KeyRESTAddress, port(e.RPCPort))
	}
	if e.WSPort != 0 {
		set(facade.KeyWSAddress, port(e.WSPort))
	}
	if e.MetricsPort != 0 {
		set(facade.KeyMetricsAddress, port(e.MetricsPort))
	}
}

// lookupPrefixed reports whether the AITBCD_-prefixed variable for a flag
// or config key is set (dots and dashes become underscores, as in viper).
func lookupPrefixed(key string) bool {
	name := EnvPrefix + "_" + strings.ToUpper(envKeyReplacer.Replace(key))
	_, ok := os.LookupEnv(name)
	return ok
}

// PrintExitError writes the error that ends the command: one JSON log line
// when LOG_FORMAT=json or --log_format json asked for JSON logs (so a log
// collector parses a failed start too), "Error: …" otherwise.
func PrintExitError(w io.Writer, args []string, getenv func(string) string, err error) {
	jsonLogs := strings.TrimSpace(getenv(EnvLogFormat)) == LogFormatJSON
	for i, a := range args {
		switch {
		case a == "--"+flags.FlagLogFormat && i+1 < len(args):
			jsonLogs = args[i+1] == LogFormatJSON
		case strings.HasPrefix(a, "--"+flags.FlagLogFormat+"="):
			jsonLogs = strings.TrimPrefix(a, "--"+flags.FlagLogFormat+"=") == LogFormatJSON
		}
	}
	if !jsonLogs {
		fmt.Fprintln(w, "Error:", err)
		return
	}
	line, _ := json.Marshal(map[string]string{"level": "error", "module": "aitbcd", "message": err.Error()})
	fmt.Fprintf(w, "%s\n", line)
}
