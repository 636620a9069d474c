package indexer

import "time"

// Config is the [indexer] section of app.toml.
type Config struct {
	// Enable runs the indexer inside `aitbcd start`.
	Enable bool `mapstructure:"enable"`
	// DatabaseURL selects the database; DATABASE_URL overrides it. Empty
	// means the SQLite file data/index.db in the node's home.
	DatabaseURL string `mapstructure:"database-url"`
	// PollInterval is how often a caught-up indexer looks for a new block.
	PollInterval time.Duration `mapstructure:"poll-interval"`
	// BatchSize is the most blocks fetched and written in one SQL transaction.
	BatchSize int `mapstructure:"batch-size"`
}

// DefaultConfig is what `aitbcd init` writes.
func DefaultConfig() Config {
	// Inside the node, new-block notifications wake the indexer; the poll is
	// only the fallback that catches anything they miss.
	return Config{Enable: true, PollInterval: time.Second, BatchSize: DefaultBatchSize}
}

// Viper keys of the [indexer] section.
const (
	FlagEnable       = "indexer.enable"
	FlagDatabaseURL  = "indexer.database-url"
	FlagPollInterval = "indexer.poll-interval"
	FlagBatchSize    = "indexer.batch-size"
)

// ConfigTemplate is the app.toml text of the [indexer] section.
const ConfigTemplate = `
###############################################################################
###                           SQL Indexer                                   ###
###############################################################################

[indexer]

# Write every committed block (txs, events, accounts touched) into SQL, behind
# commit: the indexer never halts or slows consensus.
enable = {{ .Indexer.Enable }}

# The index database: empty for the SQLite file data/index.db in the node's
# home, "sqlite:///absolute/path.db", or "postgresql://user:pass@host:5432/db".
# The DATABASE_URL environment variable overrides this setting.
database-url = "{{ .Indexer.DatabaseURL }}"

# New-block notifications wake the indexer; this is how often it also polls
# for a new block, as a fallback.
poll-interval = "{{ .Indexer.PollInterval }}"

# The most blocks fetched, held in memory and written in one SQL transaction
# while catching up.
batch-size = {{ .Indexer.BatchSize }}
`
