package indexer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Page selects a slice of a result ordered by (height, tx_index): newest
// first unless Ascending. Limit 0 means DefaultPageLimit; at most MaxPageLimit.
type Page struct {
	Limit     int
	Offset    int
	Ascending bool
}

// Page sizes of the history queries; the facade's REST endpoints refuse a
// limit above MaxPageLimit and normalize clamps one that gets this far.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

func (p Page) normalize() (Page, error) {
	if p.Limit < 0 || p.Offset < 0 {
		return p, fmt.Errorf("limit and offset must not be negative")
	}
	if p.Limit == 0 {
		p.Limit = DefaultPageLimit
	}
	if p.Limit > MaxPageLimit {
		p.Limit = MaxPageLimit
	}
	return p, nil
}

func (p Page) order() string {
	if p.Ascending {
		return "ASC"
	}
	return "DESC"
}

// TxRecord is an indexed transaction as the queries return it.
type TxRecord struct {
	Height    int64     `json:"height"`
	Index     int       `json:"index"`
	Hash      string    `json:"hash"`
	Time      time.Time `json:"time"`
	Code      uint32    `json:"code"`
	Codespace string    `json:"codespace"`
	Log       string    `json:"log"`
	GasWanted int64     `json:"gas_wanted"`
	GasUsed   int64     `json:"gas_used"`
	Fee       string    `json:"fee"`
	FeePayer  string    `json:"fee_payer"`
	Memo      string    `json:"memo"`
	Signers   []string  `json:"signers"`
	MsgTypes  []string  `json:"msg_types"`
}

// TxList is one page of transactions and how many match in all.
type TxList struct {
	Txs   []TxRecord `json:"txs"`
	Total int64      `json:"total"`
}

const txColumns = `t.height, t.tx_index, t.hash, b.time, t.code, t.codespace, t.log, t.gas_wanted, t.gas_used,
	t.fee, t.fee_payer, t.memo, t.signers, t.msg_types`

func scanTx(rows interface{ Scan(...any) error }) (TxRecord, error) {
	var (
		r                 TxRecord
		code              int64
		signers, msgTypes string
	)
	err := rows.Scan(&r.Height, &r.Index, &r.Hash, &r.Time, &code, &r.Codespace, &r.Log, &r.GasWanted, &r.GasUsed,
		&r.Fee, &r.FeePayer, &r.Memo, &signers, &msgTypes)
	r.Code = uint32(code)
	r.Signers, r.MsgTypes = splitList(signers), splitList(msgTypes)
	r.Time = r.Time.UTC()
	return r, err
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// TxsByAddress lists the transactions that touched an account address (as
// signer, fee payer, sender, recipient or any other address in their events),
// newest first by default.
func (s *Store) TxsByAddress(ctx context.Context, address string, p Page) (TxList, error) {
	return s.txList(ctx, p,
		`FROM account_txs a JOIN txs t ON t.height = a.height AND t.tx_index = a.tx_index
		 JOIN blocks b ON b.height = t.height WHERE a.address = ?`, address)
}

// TxsByEvent lists the transactions that emitted an event of eventType with
// attribute key = value, e.g. ("transfer", "recipient", addr). Typed events
// store JSON values: the providers' registrations are
// TxsByEvent(ctx, "aitbc.compute.v1.EventProviderRegistered", "owner", `"`+addr+`"`, p).
func (s *Store) TxsByEvent(ctx context.Context, eventType, key, value string, p Page) (TxList, error) {
	return s.txList(ctx, p,
		`FROM txs t JOIN blocks b ON b.height = t.height
		 WHERE EXISTS (SELECT 1 FROM events e JOIN event_attributes ea
		   ON ea.height = e.height AND ea.tx_index = e.tx_index AND ea.event_index = e.event_index
		   WHERE e.height = t.height AND e.tx_index = t.tx_index AND e.type = ? AND ea.key = ? AND ea.value = ?)`,
		eventType, key, value)
}

func (s *Store) txList(ctx context.Context, p Page, from string, args ...any) (TxList, error) {
	p, err := p.normalize()
	if err != nil {
		return TxList{}, err
	}
	var out TxList
	if err := s.db.QueryRowContext(ctx, s.Rebind(`SELECT COUNT(*) `+from), args...).Scan(&out.Total); err != nil {
		return TxList{}, err
	}
	q := `SELECT ` + txColumns + ` ` + from +
		` ORDER BY t.height ` + p.order() + `, t.tx_index ` + p.order() + ` LIMIT ? OFFSET ?`
	rows, err := s.db.QueryContext(ctx, s.Rebind(q), append(args, p.Limit, p.Offset)...)
	if err != nil {
		return TxList{}, err
	}
	defer rows.Close()
	out.Txs = []TxRecord{}
	for rows.Next() {
		r, err := scanTx(rows)
		if err != nil {
			return TxList{}, err
		}
		out.Txs = append(out.Txs, r)
	}
	return out, rows.Err()
}

// ErrNotFound is returned for a block or tx that is not (yet) indexed.
var ErrNotFound = errors.New("not indexed")

// TxByHash returns an indexed transaction by its hex hash (any case).
func (s *Store) TxByHash(ctx context.Context, hash string) (TxRecord, error) {
	row := s.db.QueryRowContext(ctx, s.Rebind(`SELECT `+txColumns+` FROM txs t JOIN blocks b ON b.height = t.height
		WHERE t.hash = ? ORDER BY t.height LIMIT 1`), strings.ToUpper(strings.TrimPrefix(hash, "0x")))
	r, err := scanTx(row)
	if errors.Is(err, sql.ErrNoRows) {
		return TxRecord{}, ErrNotFound
	}
	return r, err
}

// BlockRecord is an indexed block header.
type BlockRecord struct {
	Height   int64     `json:"height"`
	Hash     string    `json:"hash"`
	Time     time.Time `json:"time"`
	ChainID  string    `json:"chain_id"`
	Proposer string    `json:"proposer"`
	AppHash  string    `json:"app_hash"`
	NumTxs   int       `json:"num_txs"`
}

// BlockAt returns the indexed block of a height.
func (s *Store) BlockAt(ctx context.Context, height int64) (BlockRecord, error) {
	var b BlockRecord
	err := s.db.QueryRowContext(ctx, s.Rebind(`SELECT height, hash, time, chain_id, proposer, app_hash, num_txs FROM blocks WHERE height = ?`), height).
		Scan(&b.Height, &b.Hash, &b.Time, &b.ChainID, &b.Proposer, &b.AppHash, &b.NumTxs)
	if errors.Is(err, sql.ErrNoRows) {
		return BlockRecord{}, ErrNotFound
	}
	b.Time = b.Time.UTC()
	return b, err
}

// EventRecord is an indexed event with its attributes in order.
type EventRecord struct {
	Height     int64       `json:"height"`
	TxIndex    int         `json:"tx_index"`
	Index      int         `json:"index"`
	Type       string      `json:"type"`
	Attributes []Attribute `json:"attributes"`
}

// EventsOf returns the events of a transaction (txIndex >= 0) or of the block
// itself (txIndex = BlockTxIndex), in emission order.
func (s *Store) EventsOf(ctx context.Context, height int64, txIndex int) ([]EventRecord, error) {
	rows, err := s.db.QueryContext(ctx, s.Rebind(`SELECT e.event_index, e.type, ea.key, ea.value
		FROM events e LEFT JOIN event_attributes ea
		  ON ea.height = e.height AND ea.tx_index = e.tx_index AND ea.event_index = e.event_index
		WHERE e.height = ? AND e.tx_index = ? ORDER BY e.event_index, ea.attr_index`), height, txIndex)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []EventRecord{}
	for rows.Next() {
		var (
			idx        int
			typ        string
			key, value sql.NullString
		)
		if err := rows.Scan(&idx, &typ, &key, &value); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Index != idx {
			out = append(out, EventRecord{Height: height, TxIndex: txIndex, Index: idx, Type: typ, Attributes: []Attribute{}})
		}
		if key.Valid {
			last := &out[len(out)-1]
			last.Attributes = append(last.Attributes, Attribute{Key: key.String, Value: value.String})
		}
	}
	return out, rows.Err()
}
