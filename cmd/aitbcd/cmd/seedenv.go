package cmd

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/server"

	"github.com/aitbc/chain/indexer"
	poatypes "github.com/aitbc/chain/x/poa/types"
)

// The AITBC seed documents its node settings as plain environment variables.
// They override config.toml/app.toml at run time; an explicit flag or an
// AITBCD_-prefixed variable still wins over them.
const (
	EnvBlockTime     = "BLOCK_TIME"
	EnvLogLevel      = "LOG_LEVEL"
	EnvConsensusMode = "CONSENSUS_MODE"
	EnvDatabaseURL   = indexer.EnvDatabaseURL
)

// MaxBlockTime bounds BLOCK_TIME: past a minute a devnet is not a devnet.
const MaxBlockTime = time.Minute

// SeedEnv holds the seed's environment settings that were set and valid.
type SeedEnv struct {
	BlockTime time.Duration // 0 when BLOCK_TIME is unset
	LogLevel  string        // "" when LOG_LEVEL is unset
	// ConsensusMode is the x/poa mode a new chain (devnet, localnet) starts
	// in; POA when CONSENSUS_MODE is unset. A running chain changes mode only
	// by governance.
	ConsensusMode poatypes.Mode
	// DatabaseURL selects the SQL index database ("" when DATABASE_URL is
	// unset: app.toml's indexer.database-url, or SQLite in the data directory).
	DatabaseURL string
}

// LoadSeedEnv reads and validates the seed's environment variables. A bad
// value is an error that names the variable and says what is accepted.
func LoadSeedEnv(getenv func(string) string) (SeedEnv, error) {
	env := SeedEnv{ConsensusMode: poatypes.ModePoA}
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
	if raw := strings.TrimSpace(getenv(EnvConsensusMode)); raw != "" {
		mode, err := poatypes.ParseMode(raw)
		if err != nil {
			return SeedEnv{}, fmt.Errorf("invalid %s=%q: want poa, hybrid or pos", EnvConsensusMode, raw)
		}
		env.ConsensusMode = mode
	}
	if raw := strings.TrimSpace(getenv(EnvDatabaseURL)); raw != "" {
		// Syntax only here; the database itself is opened by the indexer.
		if _, err := indexer.ParseDatabaseURL(raw, ""); err != nil {
			return SeedEnv{}, fmt.Errorf("invalid %s=%q: %w", EnvDatabaseURL, indexer.Redact(raw), err)
		}
		env.DatabaseURL = raw
	}
	return env, nil
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

// applyToFlags feeds LOG_LEVEL to --log_level unless the flag or
// AITBCD_LOG_LEVEL was given. It runs before the logger is built.
func (e SeedEnv) applyToFlags(cmd *cobra.Command) error {
	if e.LogLevel == "" {
		return nil
	}
	f := cmd.Flags().Lookup(flags.FlagLogLevel)
	if f == nil || f.Changed || lookupPrefixed(flags.FlagLogLevel) {
		return nil
	}
	return cmd.Flags().Set(flags.FlagLogLevel, e.LogLevel)
}

// applyToServer sets CometBFT's commit timeout, the pause between blocks, from BLOCK_TIME.
func (e SeedEnv) applyToServer(ctx *server.Context) {
	if e.BlockTime == 0 || ctx == nil || ctx.Config == nil {
		return
	}
	ctx.Config.Consensus.TimeoutCommit = e.BlockTime
	ctx.Viper.Set("consensus.timeout_commit", e.BlockTime.String())
}

// lookupPrefixed reports whether the AITBCD_-prefixed variable for a flag
// or config key is set (dots and dashes become underscores, as in viper).
func lookupPrefixed(key string) bool {
	name := EnvPrefix + "_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
	_, ok := os.LookupEnv(name)
	return ok
}
