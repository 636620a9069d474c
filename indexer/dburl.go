package indexer

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
)

// EnvDatabaseURL is the seed's environment variable that selects the index database.
const EnvDatabaseURL = "DATABASE_URL"

// DefaultSQLiteFile is the index file inside the node's data directory when
// no database URL is given.
const DefaultSQLiteFile = "index.db"

// Dialect is the SQL flavour of an index database.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Target is a parsed database URL: which driver to open and with what.
type Target struct {
	Dialect Dialect
	// Path is the SQLite file (absolute); empty for PostgreSQL.
	Path string
	// DSN is the PostgreSQL connection string; empty for SQLite.
	DSN string
}

// String describes the target without any password, for logs.
func (t Target) String() string {
	if t.Dialect == SQLite {
		return "sqlite://" + t.Path
	}
	return Redact(t.DSN)
}

// ParseDatabaseURL reads a DATABASE_URL value. Empty means the embedded SQLite
// file dataDir/index.db. Accepted otherwise: sqlite:///absolute/path and
// postgres:// or postgresql:// URLs. It does not connect to anything.
func ParseDatabaseURL(raw, dataDir string) (Target, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		if dataDir == "" {
			return Target{}, errors.New("no data directory for the default SQLite index")
		}
		abs, err := filepath.Abs(filepath.Join(dataDir, DefaultSQLiteFile))
		if err != nil {
			return Target{}, err
		}
		return Target{Dialect: SQLite, Path: abs}, nil
	}
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok {
		return Target{}, errors.New("want sqlite:///absolute/path or postgresql://user:password@host:port/database")
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		u, err := url.Parse(raw)
		if err != nil {
			return Target{}, fmt.Errorf("not a URL: %v", redactErr(err, raw))
		}
		if u.Host != "" {
			return Target{}, fmt.Errorf("want sqlite:///absolute/path (three slashes), got host %q", u.Host)
		}
		if u.Path == "" || u.Path == "/" || strings.HasSuffix(u.Path, "/") || !filepath.IsAbs(u.Path) {
			return Target{}, errors.New("want sqlite:///absolute/path/to/file.db")
		}
		if u.RawQuery != "" {
			return Target{}, errors.New("sqlite URLs take no query parameters")
		}
		return Target{Dialect: SQLite, Path: filepath.Clean(u.Path)}, nil
	case "postgres", "postgresql":
		cfg, err := pgx.ParseConfig(raw)
		if err != nil {
			return Target{}, fmt.Errorf("not a valid PostgreSQL URL: %v", redactErr(err, raw))
		}
		if cfg.Database == "" {
			return Target{}, errors.New("the PostgreSQL URL names no database (postgresql://user@host:port/DATABASE)")
		}
		return Target{Dialect: Postgres, DSN: raw}, nil
	default:
		return Target{}, fmt.Errorf("unsupported scheme %q: want sqlite:///absolute/path or postgresql://…", scheme)
	}
}

// Redact replaces the password of a URL with "xxxxx", also in a URL that
// does not parse (a bad port, say).
func Redact(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return raw
	}
	user, _, hasPassword := strings.Cut(authority[:at], ":")
	if !hasPassword {
		return raw
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}

// redactErr keeps a parse error from echoing the password in raw.
func redactErr(err error, raw string) string {
	msg := err.Error()
	u, perr := url.Parse(raw)
	if perr == nil && u.User != nil {
		if pw, has := u.User.Password(); has && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}
