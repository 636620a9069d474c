package indexer

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/aitbc/chain/app"
)

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	target := Target{Dialect: SQLite, Path: filepath.Join(t.TempDir(), "sub", "index.db")}
	s, err := Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.SchemaVersion(ctx, CoreComponent); err != nil || v != len(coreMigrations) {
		t.Fatalf("core schema version %d (%v), want %d", v, err, len(coreMigrations))
	}
	for _, table := range append(coreTables, "indexer_cursor", "schema_migrations") {
		if n := count(t, s, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table); n != 1 {
			t.Errorf("table %s missing after migration", table)
		}
	}
	s.Close()

	// Re-opening applies nothing twice; a projection's migrations are added.
	p := &jobProjection{}
	s, err = Open(ctx, target, p)
	if err != nil {
		t.Fatalf("re-opening a migrated database: %v", err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM schema_migrations WHERE component = ?`, CoreComponent); n != int64(len(coreMigrations)) {
		t.Fatalf("%d core migrations recorded, want %d", n, len(coreMigrations))
	}
	if v, _ := s.SchemaVersion(ctx, "jobs"); v != 2 {
		t.Fatalf("projection schema version %d, want 2", v)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'test_jobs'`); n != 1 {
		t.Fatal("projection table test_jobs not created")
	}
	s.Close()

	// A database migrated by a newer binary is refused rather than corrupted.
	s, err = Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`INSERT INTO schema_migrations (component, version, name, applied_at) VALUES ('core', 99, 'future', CURRENT_TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, target); err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("want a refusal of schema version 99, got %v", err)
	}

	// Migrations must be numbered 1, 2, 3 …
	s = openSQLite(t)
	if err := s.migrateComponent(ctx, "gap", []Migration{{Version: 1, SQL: "SELECT 1"}, {Version: 3, SQL: "SELECT 1"}}); err == nil {
		t.Fatal("a gap in migration versions was accepted")
	}
}

func TestFromRPC(t *testing.T) {
	accts := testAccounts(3)
	good := sendTx(t, accts[0], accts[1], 1234, "first")
	junk := []byte("not a transaction")
	rb, rr := rpcBlock(t, 7, [][]byte{good, junk},
		[][]abci.Event{transferEvents(accts[0], accts[1], 1234), {{Type: "tx", Attributes: []abci.EventAttribute{{Key: "acc_seq", Value: accts[2].String() + "/4"}}}}},
		[]uint32{0, 2})
	b, err := FromRPC(rb, rr, testDecoder, app.AccountAddressPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if b.Height != 7 || b.ChainID != "ait-test-1" || len(b.Hash) != 64 || len(b.Proposer) != 40 || len(b.Txs) != 2 {
		t.Fatalf("block fields: %+v", b)
	}
	if len(b.Events) != 1 || b.Events[0].TxIndex != BlockTxIndex || b.Events[0].Type != "mint" {
		t.Fatalf("block events: %+v", b.Events)
	}
	tx := b.Txs[0]
	if tx.Memo != "first" || tx.FeeString() != "5000uait" || tx.FeePayer != accts[0].String() ||
		!reflect.DeepEqual(tx.Signers, []string{accts[0].String()}) ||
		!reflect.DeepEqual(tx.MsgTypes, []string{"/cosmos.bank.v1beta1.MsgSend"}) ||
		tx.GasWanted != 200_000 || tx.GasUsed != 80_000 || tx.Log != "log 0" {
		t.Fatalf("decoded tx: %+v", tx)
	}
	wantAccts := []string{accts[0].String(), accts[1].String()}
	if wantAccts[0] > wantAccts[1] {
		wantAccts[0], wantAccts[1] = wantAccts[1], wantAccts[0]
	}
	if !reflect.DeepEqual(tx.Accounts, wantAccts) {
		t.Fatalf("accounts %v, want %v", tx.Accounts, wantAccts)
	}
	// An undecodable tx keeps its hash, result and events; "addr/4" is not an address.
	if j := b.Txs[1]; j.Code != 2 || len(j.Signers) != 0 || len(j.Hash) != 64 || len(j.Events) != 1 || len(j.Accounts) != 0 {
		t.Fatalf("undecodable tx: %+v", j)
	}

	rr.TxsResults = rr.TxsResults[:1]
	if _, err := FromRPC(rb, rr, testDecoder, app.AccountAddressPrefix); err == nil {
		t.Fatal("a block with fewer results than txs was accepted")
	}
}

func TestWriteIsIdempotentAndMovesTheCursor(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	if c, err := s.Cursor(ctx); err != nil || c != 0 {
		t.Fatalf("fresh cursor %d (%v), want 0", c, err)
	}
	accts := testAccounts(4)
	var blocks []*Block
	for h := int64(1); h <= 5; h++ {
		blocks = append(blocks, sendBlock(t, h, accts, int(h)))
	}
	if err := s.WriteBlocks(ctx, blocks[:3]); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Cursor(ctx); c != 3 {
		t.Fatalf("cursor %d after blocks 1-3, want 3", c)
	}
	snapshot := func() [6]int64 {
		return [6]int64{
			count(t, s, `SELECT COUNT(*) FROM blocks`), count(t, s, `SELECT COUNT(*) FROM txs`),
			count(t, s, `SELECT COUNT(*) FROM events`), count(t, s, `SELECT COUNT(*) FROM event_attributes`),
			count(t, s, `SELECT COUNT(*) FROM account_txs`), count(t, s, `SELECT COUNT(*) FROM tx_messages`),
		}
	}
	first := snapshot()
	if first[0] != 3 || first[1] != 1+2+3 {
		t.Fatalf("blocks/txs after 1-3: %v", first)
	}
	// The same blocks again (a crash between write and cursor, or a rebuild) change nothing.
	if err := s.WriteBlocks(ctx, blocks[1:3]); err != nil {
		t.Fatal(err)
	}
	if again := snapshot(); again != first {
		t.Fatalf("writing blocks 2-3 twice changed the counts: %v → %v", first, again)
	}
	// A height written again with other content is replaced, not merged.
	other := sendBlock(t, 3, accts, 1)
	if err := s.WriteBlocks(ctx, []*Block{other}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM txs WHERE height = 3`); n != 1 {
		t.Fatalf("height 3 has %d txs after being rewritten with 1", n)
	}
	if err := s.WriteBlocks(ctx, blocks[2:]); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Cursor(ctx); c != 5 {
		t.Fatalf("cursor %d, want 5", c)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM txs`); n != 1+2+3+4+5 {
		t.Fatalf("%d txs, want 15", n)
	}

	// Rewind drops heights ≥ 4 and moves the cursor to 3.
	if err := s.Rewind(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Cursor(ctx); c != 3 {
		t.Fatalf("cursor %d after rewind to 4, want 3", c)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM blocks WHERE height >= 4`) + count(t, s, `SELECT COUNT(*) FROM event_attributes WHERE height >= 4`); n != 0 {
		t.Fatalf("%d rows of heights ≥ 4 survived the rewind", n)
	}
	if err := s.Rewind(ctx, 0); err == nil {
		t.Fatal("rewind to height 0 accepted")
	}

	// After the rewind, a writer that had gone ahead (the node's own indexer
	// while `index rebuild` runs) may not leave a hole below the cursor.
	if err := s.WriteBlocks(ctx, blocks[4:5]); !errors.Is(err, ErrCursorGap) {
		t.Fatalf("writing block 5 over cursor 3: %v, want ErrCursorGap", err)
	}
	if c, _ := s.Cursor(ctx); c != 3 {
		t.Fatalf("cursor %d after the refused write, want 3", c)
	}
	if err := s.WriteBlocks(ctx, blocks[3:5]); err != nil {
		t.Fatal(err)
	}
	// Re-writing old blocks does not move the cursor back.
	if err := s.WriteBlocks(ctx, blocks[0:2]); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Cursor(ctx); c != 5 {
		t.Fatalf("cursor %d after re-writing blocks 1-2, want 5", c)
	}
	if err := s.SkipTo(ctx, 9); err != nil {
		t.Fatal(err)
	}
	if err := s.SkipTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Cursor(ctx); c != 9 {
		t.Fatalf("cursor %d after SkipTo 9 and 7, want 9", c)
	}
}

func TestQueries(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	accts := testAccounts(3)
	a, b, c := accts[0], accts[1], accts[2]
	var blocks []*Block
	// Heights 1-6: a→b at every height, plus b→c at even heights.
	for h := int64(1); h <= 6; h++ {
		txs := [][]byte{sendTx(t, a, b, h, "")}
		evs := [][]abci.Event{transferEvents(a, b, h)}
		if h%2 == 0 {
			txs = append(txs, sendTx(t, b, c, h, "even"))
			evs = append(evs, transferEvents(b, c, h))
		}
		rb, rr := rpcBlock(t, h, txs, evs, nil)
		blk, err := FromRPC(rb, rr, testDecoder, app.AccountAddressPrefix)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, blk)
	}
	if err := s.WriteBlocks(ctx, blocks); err != nil {
		t.Fatal(err)
	}

	page1, err := s.TxsByAddress(ctx, c.String(), Page{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if page1.Total != 3 || len(page1.Txs) != 2 || page1.Txs[0].Height != 6 || page1.Txs[1].Height != 4 {
		t.Fatalf("page 1 of c: %+v", page1)
	}
	page2, _ := s.TxsByAddress(ctx, c.String(), Page{Limit: 2, Offset: 2})
	if len(page2.Txs) != 1 || page2.Txs[0].Height != 2 || page2.Txs[0].Index != 1 {
		t.Fatalf("page 2 of c: %+v", page2)
	}
	r := page2.Txs[0]
	if r.Memo != "even" || r.Fee != "5000uait" || r.Signers[0] != b.String() || r.MsgTypes[0] != "/cosmos.bank.v1beta1.MsgSend" ||
		r.Time != blocks[1].Time || r.GasUsed != 80_001 {
		t.Fatalf("tx record: %+v", r)
	}
	asc, _ := s.TxsByAddress(ctx, b.String(), Page{Ascending: true})
	if asc.Total != 9 || asc.Txs[0].Height != 1 || asc.Txs[8].Height != 6 {
		t.Fatalf("b ascending: total %d, first %+v", asc.Total, asc.Txs[0])
	}
	if none, _ := s.TxsByAddress(ctx, testAccounts(1)[0].String(), Page{}); none.Total != 0 || len(none.Txs) != 0 {
		t.Fatalf("an unknown address has txs: %+v", none)
	}
	if _, err := s.TxsByAddress(ctx, a.String(), Page{Limit: -1}); err == nil {
		t.Fatal("negative limit accepted")
	}

	byEvent, err := s.TxsByEvent(ctx, "transfer", "recipient", c.String(), Page{})
	if err != nil || byEvent.Total != 3 {
		t.Fatalf("txs by transfer.recipient = c: %+v %v", byEvent, err)
	}

	got, err := s.TxByHash(ctx, strings.ToLower(blocks[3].Txs[1].Hash))
	if err != nil || got.Height != 4 || got.Index != 1 {
		t.Fatalf("tx by hash: %+v %v", got, err)
	}
	if _, err := s.TxByHash(ctx, "00"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown hash: %v", err)
	}
	blk, err := s.BlockAt(ctx, 4)
	if err != nil || blk.Hash != blocks[3].Hash || blk.NumTxs != 2 || !blk.Time.Equal(blocks[3].Time) {
		t.Fatalf("block 4: %+v %v", blk, err)
	}
	evs, err := s.EventsOf(ctx, 4, 1)
	if err != nil || len(evs) != 2 || evs[1].Type != "transfer" || evs[1].Attributes[0] != (Attribute{"recipient", c.String()}) {
		t.Fatalf("events of tx 4/1: %+v %v", evs, err)
	}
	if bev, _ := s.EventsOf(ctx, 4, BlockTxIndex); len(bev) != 1 || bev[0].Type != "mint" {
		t.Fatalf("block events of 4: %+v", bev)
	}
}

// jobProjection is a projection as x/compute would write one: its own table,
// filled from events of one type, idempotent by primary key.
type jobProjection struct{ seen int }

func (*jobProjection) Name() string { return "jobs" }
func (*jobProjection) Migrations() []Migration {
	return []Migration{
		{Version: 1, Name: "jobs", SQL: `CREATE TABLE test_jobs (id TEXT PRIMARY KEY, client TEXT NOT NULL, height BIGINT NOT NULL)`},
		{Version: 2, Name: "jobs by client", SQL: `CREATE INDEX test_jobs_client ON test_jobs (client, height)`},
	}
}
func (*jobProjection) EventTypes() []string                             { return []string{"job_created"} }
func (*jobProjection) BeginBlock(context.Context, *SQLTx, *Block) error { return nil }
func (p *jobProjection) Rewind(ctx context.Context, t *SQLTx, h int64) error {
	return t.Exec(ctx, `DELETE FROM test_jobs WHERE height >= ?`, h)
}
func (p *jobProjection) Project(ctx context.Context, t *SQLTx, b *Block, tx *Tx, ev Event) error {
	p.seen++
	id, _ := ev.Attr("id")
	client, _ := ev.Attr("client")
	return t.Exec(ctx, `INSERT INTO test_jobs (id, client, height) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET client = excluded.client, height = excluded.height`, id, client, b.Height)
}

func TestProjection(t *testing.T) {
	ctx := context.Background()
	p := &jobProjection{}
	s := openSQLite(t, p)
	accts := testAccounts(2)
	job := func(id string) abci.Event {
		return abci.Event{Type: "job_created", Attributes: []abci.EventAttribute{{Key: "id", Value: id}, {Key: "client", Value: accts[0].String()}}}
	}
	rb, rr := rpcBlock(t, 1, [][]byte{sendTx(t, accts[0], accts[1], 1, ""), sendTx(t, accts[0], accts[1], 2, "")},
		[][]abci.Event{{job("j1")}, {job("j-failed")}}, []uint32{0, 5})
	rr.FinalizeBlockEvents = append(rr.FinalizeBlockEvents, job("j0"))
	b, err := FromRPC(rb, rr, testDecoder, app.AccountAddressPrefix)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := s.WriteBlocks(ctx, []*Block{b}); err != nil {
			t.Fatal(err)
		}
	}
	if p.seen != 4 {
		t.Fatalf("projection saw %d events over two writes, want 2 per write (block event and successful tx)", p.seen)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM test_jobs WHERE client = ?`, accts[0].String()); n != 2 {
		t.Fatalf("%d jobs projected, want 2 (j0, j1; not the failed tx's)", n)
	}
	if err := s.Rewind(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM test_jobs`); n != 0 {
		t.Fatalf("%d jobs survived the rewind", n)
	}
}
