package indexer

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aitbc/chain/app"
)

// benchSendEvents are the events of one bank send as the SDK emits them
// (fee deduction, signature checks, the transfer itself): 12 events, 30 attributes.
func benchSendEvents(from, to, feeCollector sdk.AccAddress, seq int) []abci.Event {
	attr := func(kv ...string) []abci.EventAttribute {
		var out []abci.EventAttribute
		for i := 0; i < len(kv); i += 2 {
			out = append(out, abci.EventAttribute{Key: kv[i], Value: kv[i+1], Index: true})
		}
		return out
	}
	f, t, fc := from.String(), to.String(), feeCollector.String()
	return []abci.Event{
		{Type: "coin_spent", Attributes: attr("spender", f, "amount", "5000uait", "msg_index", "")},
		{Type: "coin_received", Attributes: attr("receiver", fc, "amount", "5000uait")},
		{Type: "transfer", Attributes: attr("recipient", fc, "sender", f, "amount", "5000uait")},
		{Type: "message", Attributes: attr("sender", f)},
		{Type: "tx", Attributes: attr("fee", "5000uait", "fee_payer", f)},
		{Type: "tx", Attributes: attr("acc_seq", fmt.Sprintf("%s/%d", f, seq))},
		{Type: "tx", Attributes: attr("signature", "c2lnbmF0dXJlIGJ5dGVzIG9mIDY0IGJ5dGVzIGxvbmcgZm9yIGEgc2VjcDI1NmsxIGtleSEhISEhISEhIQ==")},
		{Type: "message", Attributes: attr("action", "/cosmos.bank.v1beta1.MsgSend", "sender", f, "module", "bank", "msg_index", "0")},
		{Type: "coin_spent", Attributes: attr("spender", f, "amount", "1000uait", "msg_index", "0")},
		{Type: "coin_received", Attributes: attr("receiver", t, "amount", "1000uait", "msg_index", "0")},
		{Type: "transfer", Attributes: attr("recipient", t, "sender", f, "amount", "1000uait", "msg_index", "0")},
		{Type: "message", Attributes: attr("sender", f, "msg_index", "0")},
	}
}

// benchBlock is a block of txs bank sends with realistic events, decoded
// from real encoded transactions.
func benchBlock(b testing.TB, txs int) *Block {
	accts := testAccounts(21)
	var raws [][]byte
	var events [][]abci.Event
	for i := 0; i < txs; i++ {
		from, to := accts[i%20], accts[(i+7)%20]
		raws = append(raws, sendTx(b, from, to, 1000, ""))
		events = append(events, benchSendEvents(from, to, accts[20], i))
	}
	rb, rr := rpcBlock(b, 1, raws, events, nil)
	blk, err := FromRPC(rb, rr, testDecoder, app.AccountAddressPrefix)
	if err != nil {
		b.Fatal(err)
	}
	return blk
}

// benchTargets are the databases benchmarked: a SQLite file always, and
// PostgreSQL when INDEXER_BENCH_DATABASE_URL names one (make bench-indexer
// starts a throw-away server and sets it).
func benchTargets(b *testing.B) map[string]func(b *testing.B) Target {
	return map[string]func(b *testing.B) Target{
		"sqlite": func(b *testing.B) Target {
			return Target{Dialect: SQLite, Path: b.TempDir() + "/bench.db"}
		},
		"postgres": func(b *testing.B) Target {
			raw := os.Getenv("INDEXER_BENCH_DATABASE_URL")
			if raw == "" {
				b.Skip("INDEXER_BENCH_DATABASE_URL is not set (make bench-indexer sets it)")
			}
			target, err := ParseDatabaseURL(raw, "")
			if err != nil {
				b.Fatal(err)
			}
			s, err := Open(context.Background(), target)
			if err != nil {
				b.Fatal(err)
			}
			// Start from an empty index each run.
			for _, table := range append(coreTables, "indexer_cursor") {
				if _, err := s.DB().Exec(`DELETE FROM ` + table); err != nil {
					b.Fatal(err)
				}
			}
			s.Close()
			return target
		},
	}
}

// BenchmarkIndexWrite measures the indexer's database side: decoded blocks
// written in batches of DefaultBatchSize, as the catch-up loop writes them.
// It reports blocks/s and tx/s; one op is one batch.
func BenchmarkIndexWrite(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, txs := range []int{0, 10, 100} {
			b.Run(fmt.Sprintf("%s/txs_per_block=%d", dialect, txs), func(b *testing.B) {
				target := benchTargets(b)[dialect](b)
				s, err := Open(context.Background(), target)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				tmpl := benchBlock(b, txs)
				ctx := context.Background()
				height := int64(0)
				b.ResetTimer()
				start := time.Now()
				for i := 0; i < b.N; i++ {
					batch := make([]*Block, DefaultBatchSize)
					for j := range batch {
						height++
						blk := *tmpl
						blk.Height = height
						batch[j] = &blk
					}
					if err := s.WriteBlocks(ctx, batch); err != nil {
						b.Fatal(err)
					}
				}
				elapsed := time.Since(start).Seconds()
				b.ReportMetric(float64(height)/elapsed, "blocks/s")
				b.ReportMetric(float64(height*int64(txs))/elapsed, "tx/s")
			})
		}
	}
}

// BenchmarkFromRPC measures decoding: RPC block and results to a Block.
func BenchmarkFromRPC(b *testing.B) {
	accts := testAccounts(21)
	var raws [][]byte
	var events [][]abci.Event
	for i := 0; i < 100; i++ {
		raws = append(raws, sendTx(b, accts[i%20], accts[(i+1)%20], 1000, ""))
		events = append(events, benchSendEvents(accts[i%20], accts[(i+1)%20], accts[20], i))
	}
	rb, rr := rpcBlock(b, 1, raws, events, nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := FromRPC(rb, rr, testDecoder, app.AccountAddressPrefix); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "tx/s")
}
