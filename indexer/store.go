package indexer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the pure-Go "sqlite" driver
)

// Store is an index database: SQLite or PostgreSQL behind database/sql, with
// the core schema and every registered projection's schema migrated.
type Store struct {
	db          *sql.DB
	dialect     Dialect
	target      Target
	projections []Projection
}

// Open connects to target, checks the connection and applies pending
// migrations of the core schema and of the given projections.
func Open(ctx context.Context, target Target, projections ...Projection) (*Store, error) {
	var (
		db  *sql.DB
		err error
	)
	switch target.Dialect {
	case SQLite:
		if err := os.MkdirAll(filepath.Dir(target.Path), 0o755); err != nil {
			return nil, fmt.Errorf("creating the directory of %s: %w", target.Path, err)
		}
		// WAL lets readers (queries, another process) run while the indexer
		// writes; busy_timeout waits for a competing writer instead of failing;
		// immediate transactions take the write lock up front.
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_pragma", "foreign_keys(OFF)")
		// 64 MiB of page cache (SQLite's default is 2 MiB): the index b-trees of a
		// busy chain otherwise fall out of cache and every insert reads pages back.
		q.Add("_pragma", "cache_size(-65536)")
		q.Set("_txlock", "immediate")
		q.Set("_time_format", "sqlite")
		db, err = sql.Open("sqlite", "file:"+target.Path+"?"+q.Encode())
		if err == nil {
			// One writer at a time is all SQLite allows; a small pool serves readers.
			db.SetMaxOpenConns(4)
		}
	case Postgres:
		db, err = sql.Open("pgx", target.DSN)
		if err == nil {
			db.SetMaxOpenConns(8)
			db.SetConnMaxIdleTime(time.Minute)
		}
	default:
		return nil, fmt.Errorf("unknown dialect %q", target.Dialect)
	}
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, dialect: target.Dialect, target: target, projections: projections}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to %s: %w", target, err)
	}
	if err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the database.
func (s *Store) Close() error { return s.db.Close() }

// DB is the underlying database, for read-only queries the Store has no method for.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect tells which SQL flavour the store speaks.
func (s *Store) Dialect() Dialect { return s.dialect }

// Target is where the store lives.
func (s *Store) Target() Target { return s.target }

// Rebind turns the ? placeholders of a query into the dialect's ($1, $2 … for PostgreSQL).
func (s *Store) Rebind(query string) string { return rebind(s.dialect, query) }

func rebind(d Dialect, query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// SQLTx is one SQL transaction of the indexer, handed to projections.
type SQLTx struct {
	tx      *sql.Tx
	dialect Dialect
	stmts   map[string]*sql.Stmt
}

// Dialect tells a projection which SQL flavour it writes.
func (t *SQLTx) Dialect() Dialect { return t.dialect }

// Exec runs a statement written with ? placeholders. Statements are prepared
// once per transaction, so a projection can call Exec in a loop.
func (t *SQLTx) Exec(ctx context.Context, query string, args ...any) error {
	st, ok := t.stmts[query]
	if !ok {
		var err error
		st, err = t.tx.PrepareContext(ctx, rebind(t.dialect, query))
		if err != nil {
			return fmt.Errorf("preparing %q: %w", firstLine(query), err)
		}
		t.stmts[query] = st
	}
	if _, err := st.ExecContext(ctx, args...); err != nil {
		return fmt.Errorf("%s: %w", firstLine(query), err)
	}
	return nil
}

// QueryRow reads one row inside the transaction.
func (t *SQLTx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, rebind(t.dialect, query), args...)
}

func firstLine(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i > 0 {
		q = q[:i]
	}
	return q
}

// inTx runs fn in one SQL transaction, committed only if fn succeeds.
func (s *Store) inTx(ctx context.Context, fn func(*SQLTx) error) (err error) {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	t := &SQLTx{tx: sqlTx, dialect: s.dialect, stmts: map[string]*sql.Stmt{}}
	defer func() {
		for _, st := range t.stmts {
			st.Close()
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	if err = fn(t); err != nil {
		return err
	}
	return sqlTx.Commit()
}

// Migration is one versioned step of a schema. Versions of one component
// start at 1 and increase by one; SQL may hold several statements separated
// by ";\n" and the placeholders {{TIMESTAMP}} (a time column type) and
// {{NUMERIC}} (an arbitrary-precision number type).
type Migration struct {
	Version int
	Name    string
	SQL     string
}

func (m Migration) statements(d Dialect) []string {
	ts, num := "TIMESTAMP", "NUMERIC"
	if d == Postgres {
		ts = "TIMESTAMPTZ"
	}
	text := strings.NewReplacer("{{TIMESTAMP}}", ts, "{{NUMERIC}}", num).Replace(m.SQL)
	var out []string
	for _, st := range strings.Split(text, ";\n") {
		if st = strings.TrimSpace(st); st != "" {
			out = append(out, st)
		}
	}
	return out
}

// Migrate applies the pending migrations of the core schema and of the
// store's projections, each in its own transaction, recording them in
// schema_migrations (component, version).
func (s *Store) Migrate(ctx context.Context) error {
	create := `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL,
		version INTEGER NOT NULL,
		name TEXT NOT NULL,
		applied_at ` + map[Dialect]string{SQLite: "TIMESTAMP", Postgres: "TIMESTAMPTZ"}[s.dialect] + ` NOT NULL,
		PRIMARY KEY (component, version))`
	if _, err := s.db.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	if err := s.migrateComponent(ctx, CoreComponent, coreMigrations); err != nil {
		return err
	}
	for _, p := range s.projections {
		if err := s.migrateComponent(ctx, p.Name(), p.Migrations()); err != nil {
			return err
		}
	}
	return nil
}

// CoreComponent names the indexer's own schema in schema_migrations.
const CoreComponent = "core"

func (s *Store) migrateComponent(ctx context.Context, component string, migrations []Migration) error {
	for i, m := range migrations {
		if m.Version != i+1 {
			return fmt.Errorf("migrations of %s: version %d at position %d, want %d", component, m.Version, i, i+1)
		}
	}
	current, err := s.SchemaVersion(ctx, component)
	if err != nil {
		return err
	}
	if current > len(migrations) {
		return fmt.Errorf("the index database has %s schema version %d, newer than this binary's %d: upgrade aitbcd or use another database",
			component, current, len(migrations))
	}
	for _, m := range migrations[current:] {
		err := s.inTx(ctx, func(t *SQLTx) error {
			// Two processes migrating at once: the loser fails on the primary key
			// below and retries later, finding the work done.
			for _, st := range m.statements(s.dialect) {
				if _, err := t.tx.ExecContext(ctx, st); err != nil {
					return fmt.Errorf("%q: %w", firstLine(st), err)
				}
			}
			return t.Exec(ctx, `INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)`,
				component, m.Version, m.Name, time.Now().UTC())
		})
		if err != nil {
			return fmt.Errorf("migration %s/%d (%s): %w", component, m.Version, m.Name, err)
		}
	}
	return nil
}

// SchemaVersion is the highest applied migration of a component (0 for none).
func (s *Store) SchemaVersion(ctx context.Context, component string) (int, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.Rebind(`SELECT MAX(version) FROM schema_migrations WHERE component = ?`), component).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("reading the schema version: %w", err)
	}
	return int(v.Int64), nil
}
