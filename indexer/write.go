package indexer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DefaultCursor names the cursor of the indexer that follows the chain.
const DefaultCursor = "chain"

// ErrCursorGap is returned by WriteBlocks for blocks that do not continue the
// cursor: someone (`aitbcd index rebuild`) moved it back meanwhile.
var ErrCursorGap = errors.New("blocks do not continue the cursor")

// WriteBlocks stores blocks in one SQL transaction and moves the cursor to
// the last one. Writing is idempotent: each height's rows are replaced, so a
// block written twice is stored once. Blocks must be in increasing height,
// and the first must be at most one past the cursor, so that "every block up
// to the cursor is indexed" stays true; the cursor never moves back here.
func (s *Store) WriteBlocks(ctx context.Context, blocks []*Block) error {
	if len(blocks) == 0 {
		return nil
	}
	for i := 1; i < len(blocks); i++ {
		if blocks[i].Height <= blocks[i-1].Height {
			return fmt.Errorf("blocks out of order: %d after %d", blocks[i].Height, blocks[i-1].Height)
		}
	}
	return s.inTx(ctx, func(t *SQLTx) error {
		first, last := blocks[0].Height, blocks[len(blocks)-1].Height
		cursor, err := readCursor(ctx, t)
		if err != nil {
			return err
		}
		if first > cursor+1 {
			return fmt.Errorf("%w: first block %d, cursor %d", ErrCursorGap, first, cursor)
		}
		for _, table := range coreTables {
			if last-first+1 == int64(len(blocks)) {
				// Contiguous heights: one statement per table.
				if err := t.Exec(ctx, `DELETE FROM `+table+` WHERE height >= ? AND height <= ?`, first, last); err != nil {
					return err
				}
				continue
			}
			for _, b := range blocks {
				if err := t.Exec(ctx, `DELETE FROM `+table+` WHERE height = ?`, b.Height); err != nil {
					return err
				}
			}
		}
		rows := newRowBuffer(s.dialect)
		for _, b := range blocks {
			addBlockRows(rows, b)
		}
		if err := rows.flush(ctx, t); err != nil {
			return err
		}
		for _, b := range blocks {
			if err := s.project(ctx, t, b); err != nil {
				return fmt.Errorf("block %d: %w", b.Height, err)
			}
		}
		return setCursor(ctx, t, DefaultCursor, max(cursor, last))
	})
}

// readCursor reads the cursor inside a write transaction, locking its row in
// PostgreSQL (SQLite's write transactions are exclusive already).
func readCursor(ctx context.Context, t *SQLTx) (int64, error) {
	q := `SELECT height FROM indexer_cursor WHERE name = ?`
	if t.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var h int64
	err := t.QueryRow(ctx, q, DefaultCursor).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return h, err
}

// SkipTo moves the cursor to height when it is below: the heights up to it
// are not available from the node (pruned, or state-synced past them).
func (s *Store) SkipTo(ctx context.Context, height int64) error {
	return s.inTx(ctx, func(t *SQLTx) error {
		cursor, err := readCursor(ctx, t)
		if err != nil || cursor >= height {
			return err
		}
		return setCursor(ctx, t, DefaultCursor, height)
	})
}

// The core tables' columns, in the order addBlockRows adds values.
var coreColumns = map[string][]string{
	"blocks":           {"height", "hash", "time", "chain_id", "proposer", "app_hash", "num_txs"},
	"txs":              {"height", "tx_index", "hash", "code", "codespace", "log", "gas_wanted", "gas_used", "fee", "fee_payer", "memo", "signers", "msg_types"},
	"tx_messages":      {"height", "tx_index", "msg_index", "type_url"},
	"tx_fees":          {"height", "tx_index", "denom", "amount"},
	"account_txs":      {"address", "height", "tx_index", "is_signer"},
	"events":           {"height", "tx_index", "event_index", "type"},
	"event_attributes": {"height", "tx_index", "event_index", "attr_index", "key", "value"},
}

func addBlockRows(rows *rowBuffer, b *Block) {
	rows.add("blocks", b.Height, b.Hash, b.Time.UTC(), b.ChainID, b.Proposer, b.AppHash, len(b.Txs))
	addEventRows(rows, b.Height, b.Events)
	for _, tx := range b.Txs {
		rows.add("txs", b.Height, tx.Index, tx.Hash, int64(tx.Code), tx.Codespace, tx.Log, tx.GasWanted, tx.GasUsed,
			tx.FeeString(), tx.FeePayer, tx.Memo, strings.Join(tx.Signers, ","), strings.Join(tx.MsgTypes, ","))
		for i, typeURL := range tx.MsgTypes {
			rows.add("tx_messages", b.Height, tx.Index, i, typeURL)
		}
		for _, c := range tx.Fee {
			rows.add("tx_fees", b.Height, tx.Index, c.Denom, c.Amount)
		}
		signer := map[string]bool{}
		for _, a := range tx.Signers {
			signer[a] = true
		}
		for _, a := range tx.Accounts {
			rows.add("account_txs", a, b.Height, tx.Index, signer[a])
		}
		addEventRows(rows, b.Height, tx.Events)
	}
}

func addEventRows(rows *rowBuffer, height int64, events []Event) {
	for _, ev := range events {
		rows.add("events", height, ev.TxIndex, ev.Index, ev.Type)
		for j, a := range ev.Attributes {
			rows.add("event_attributes", height, ev.TxIndex, ev.Index, j, a.Key, a.Value)
		}
	}
}

// rowBuffer collects the rows of one write and inserts them with multi-row
// INSERTs: a round trip per few hundred rows instead of one per row.
type rowBuffer struct {
	dialect Dialect
	order   []string
	values  map[string][]any
}

// maxParams keeps a statement under SQLite's and PostgreSQL's limits on bound parameters.
const maxParams = 30000

func newRowBuffer(d Dialect) *rowBuffer {
	return &rowBuffer{dialect: d, values: map[string][]any{}}
}

func (r *rowBuffer) add(table string, vals ...any) {
	if _, ok := r.values[table]; !ok {
		r.order = append(r.order, table)
	}
	r.values[table] = append(r.values[table], vals...)
}

func (r *rowBuffer) flush(ctx context.Context, t *SQLTx) error {
	for _, table := range r.order {
		cols := coreColumns[table]
		vals := r.values[table]
		perStmt := maxParams / len(cols) * len(cols)
		for len(vals) > 0 {
			chunk := vals[:min(perStmt, len(vals))]
			vals = vals[len(chunk):]
			nrows := len(chunk) / len(cols)
			row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
			var q strings.Builder
			q.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
			for i := 0; i < nrows; i++ {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString(row)
			}
			// One-off statements: not prepared, so the cache of Exec stays small.
			if _, err := t.tx.ExecContext(ctx, rebind(r.dialect, q.String()), chunk...); err != nil {
				return fmt.Errorf("inserting %d rows into %s: %w", nrows, table, err)
			}
		}
	}
	return nil
}

func setCursor(ctx context.Context, t *SQLTx, name string, height int64) error {
	return t.Exec(ctx, `INSERT INTO indexer_cursor (name, height, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET height = excluded.height, updated_at = excluded.updated_at`,
		name, height, time.Now().UTC())
}

// Cursor is the height up to which every block is indexed (0 when none is).
func (s *Store) Cursor(ctx context.Context) (int64, error) {
	var h int64
	err := s.db.QueryRowContext(ctx, s.Rebind(`SELECT height FROM indexer_cursor WHERE name = ?`), DefaultCursor).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return h, err
}

// Rewind deletes everything indexed from height on (core tables and every
// projection's rows) and moves the cursor to height-1, so that the indexer
// writes those blocks again. It is what `aitbcd index rebuild --from` does.
func (s *Store) Rewind(ctx context.Context, height int64) error {
	if height < 1 {
		return fmt.Errorf("rewind to height %d: heights start at 1", height)
	}
	return s.inTx(ctx, func(t *SQLTx) error {
		for _, table := range coreTables {
			if err := t.Exec(ctx, `DELETE FROM `+table+` WHERE height >= ?`, height); err != nil {
				return err
			}
		}
		for _, p := range s.projections {
			if err := p.Rewind(ctx, t, height); err != nil {
				return fmt.Errorf("projection %s: %w", p.Name(), err)
			}
		}
		return setCursor(ctx, t, DefaultCursor, height-1)
	})
}
