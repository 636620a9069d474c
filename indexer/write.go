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

// WriteBlocks stores blocks in one SQL transaction and moves the cursor to
// the last one. Writing is idempotent: each height's rows are replaced, so a
// block written twice is stored once. Blocks must be in increasing height.
func (s *Store) WriteBlocks(ctx context.Context, blocks []*Block) error {
	if len(blocks) == 0 {
		return nil
	}
	return s.inTx(ctx, func(t *SQLTx) error {
		for _, b := range blocks {
			if err := s.writeBlock(ctx, t, b); err != nil {
				return fmt.Errorf("block %d: %w", b.Height, err)
			}
		}
		return setCursor(ctx, t, DefaultCursor, blocks[len(blocks)-1].Height)
	})
}

func (s *Store) writeBlock(ctx context.Context, t *SQLTx, b *Block) error {
	for _, table := range coreTables {
		if err := t.Exec(ctx, `DELETE FROM `+table+` WHERE height = ?`, b.Height); err != nil {
			return err
		}
	}
	if err := t.Exec(ctx, `INSERT INTO blocks (height, hash, time, chain_id, proposer, app_hash, num_txs) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		b.Height, b.Hash, b.Time.UTC(), b.ChainID, b.Proposer, b.AppHash, len(b.Txs)); err != nil {
		return err
	}
	if err := writeEvents(ctx, t, b.Height, b.Events); err != nil {
		return err
	}
	for _, tx := range b.Txs {
		if err := t.Exec(ctx, `INSERT INTO txs (height, tx_index, hash, code, codespace, log, gas_wanted, gas_used, fee, fee_payer, memo, signers, msg_types)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			b.Height, tx.Index, tx.Hash, int64(tx.Code), tx.Codespace, tx.Log, tx.GasWanted, tx.GasUsed,
			tx.FeeString(), tx.FeePayer, tx.Memo, strings.Join(tx.Signers, ","), strings.Join(tx.MsgTypes, ",")); err != nil {
			return err
		}
		for i, typeURL := range tx.MsgTypes {
			if err := t.Exec(ctx, `INSERT INTO tx_messages (height, tx_index, msg_index, type_url) VALUES (?, ?, ?, ?)`,
				b.Height, tx.Index, i, typeURL); err != nil {
				return err
			}
		}
		for _, c := range tx.Fee {
			if err := t.Exec(ctx, `INSERT INTO tx_fees (height, tx_index, denom, amount) VALUES (?, ?, ?, ?)`,
				b.Height, tx.Index, c.Denom, c.Amount); err != nil {
				return err
			}
		}
		signer := map[string]bool{}
		for _, a := range tx.Signers {
			signer[a] = true
		}
		for _, a := range tx.Accounts {
			if err := t.Exec(ctx, `INSERT INTO account_txs (address, height, tx_index, is_signer) VALUES (?, ?, ?, ?)`,
				a, b.Height, tx.Index, signer[a]); err != nil {
				return err
			}
		}
		if err := writeEvents(ctx, t, b.Height, tx.Events); err != nil {
			return err
		}
	}
	return s.project(ctx, t, b)
}

func writeEvents(ctx context.Context, t *SQLTx, height int64, events []Event) error {
	for _, ev := range events {
		if err := t.Exec(ctx, `INSERT INTO events (height, tx_index, event_index, type) VALUES (?, ?, ?, ?)`,
			height, ev.TxIndex, ev.Index, ev.Type); err != nil {
			return err
		}
		for j, a := range ev.Attributes {
			if err := t.Exec(ctx, `INSERT INTO event_attributes (height, tx_index, event_index, attr_index, key, value) VALUES (?, ?, ?, ?, ?, ?)`,
				height, ev.TxIndex, ev.Index, j, a.Key, a.Value); err != nil {
				return err
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
