package system

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"

	clienttx "github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/indexer"
)

// BenchmarkCommittedTPS measures the chain's committed transfers per second
// on one node with the SQL indexer off, on SQLite and on PostgreSQL, under
// the same load: TPS_TXS bank sends (default 4500) signed in advance by three
// genesis accounts and broadcast as fast as CheckTx takes them. It also
// reports how long the index took to hold the last loaded block after the
// load was committed. Figures only (make bench-indexer; BENCHMARKS.md).
func BenchmarkCommittedTPS(b *testing.B) {
	total := 4500
	if v, err := strconv.Atoi(os.Getenv("TPS_TXS")); err == nil && v > 0 {
		total = v
	}
	for _, mode := range []string{"off", "sqlite", "postgres"} {
		b.Run("indexer="+mode, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				tps, lag := committedTPS(b, mode, total)
				b.ReportMetric(tps, "committed_tx/s")
				if mode != "off" {
					b.ReportMetric(lag.Seconds(), "index_lag_s")
				}
			}
		})
	}
}

func committedTPS(b *testing.B, mode string, total int) (float64, time.Duration) {
	n := initChain(b)
	env := []string{"DATABASE_URL="}
	var target indexer.Target
	switch mode {
	case "off":
		env = append(env, "AITBCD_INDEXER_ENABLE=false")
	case "sqlite":
		target = indexer.Target{Dialect: indexer.SQLite, Path: n.home + "/data/" + indexer.DefaultSQLiteFile}
	case "postgres":
		pg := startPostgres(b)
		env = []string{"DATABASE_URL=" + pg.url}
		var err error
		if target, err = indexer.ParseDatabaseURL(pg.url, ""); err != nil {
			b.Fatal(err)
		}
	}
	n.start(env, append([]string{"start", "--home", n.home}, n.startArgs()...)...)
	n.waitForHeight(3, 90*time.Second)

	senders := []string{"validator", "alice", "bob"}
	txs := n.signSends(senders, total/len(senders), n.keyAddress("bob"))
	h0, err := n.height()
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, list := range txs {
		wg.Add(1)
		go func(list [][]byte) {
			defer wg.Done()
			client := http.Client{Timeout: 30 * time.Second}
			for _, raw := range list {
				url := fmt.Sprintf("http://127.0.0.1:%d/broadcast_tx_sync?tx=0x%s", n.ports.RPC, hex.EncodeToString(raw))
				if resp, err := client.Get(url); err == nil {
					resp.Body.Close()
				}
			}
		}(list)
	}
	wg.Wait()

	// Wait for every loaded tx to be committed, counting block by block.
	committed, h, last := 0, h0, h0
	deadline := time.Now().Add(5 * time.Minute)
	for committed < total && time.Now().Before(deadline) {
		n.waitForHeight(h+1, 60*time.Second)
		h++
		if k := len(n.block(h).Block.Txs); k > 0 {
			committed += k
			last = h
		}
	}
	if committed < total {
		b.Fatalf("only %d of %d txs committed", committed, total)
	}
	elapsed := n.blockTime(last).Sub(n.blockTime(h0)).Seconds()
	loaded := time.Now()
	var lag time.Duration
	if mode != "off" {
		s := openIndex(b, target)
		n.waitForIndex(s, last, 5*time.Minute)
		lag = time.Since(loaded)
		var indexed int64
		if err := s.DB().QueryRow(s.Rebind(`SELECT COUNT(*) FROM txs WHERE height > ? AND height <= ?`), h0, last).Scan(&indexed); err != nil {
			b.Fatal(err)
		}
		if indexed != int64(committed) {
			b.Fatalf("the index has %d of the %d committed txs", indexed, committed)
		}
	}
	_ = n.stop(9)
	return float64(committed) / elapsed, lag
}

var (
	accountNumberRE = regexp.MustCompile(`"account_number":\s*"?(\d+)`)
	sequenceRE      = regexp.MustCompile(`"sequence":\s*"?(\d+)`)
)

// jsonUint reads a number matched by re in out; proto3 JSON omits zeros.
func jsonUint(re *regexp.Regexp, out string) uint64 {
	m := re.FindStringSubmatch(out)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseUint(m[1], 10, 64)
	return v
}

// signSends signs perSender bank sends from each key to `to`, with
// consecutive sequences from the account's current one.
func (n *node) signSends(keys []string, perSender int, to string) [][][]byte {
	t := n.t
	enc := app.MakeEncodingConfig()
	banktypes.RegisterInterfaces(enc.InterfaceRegistry)
	kr, err := keyring.New("aitbc", keyring.BackendTest, n.home, nil, enc.Codec)
	if err != nil {
		t.Fatal(err)
	}
	toAddr, err := sdk.AccAddressFromBech32(to)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][][]byte, len(keys))
	for i, key := range keys {
		addr := n.keyAddress(key)
		account := n.mustCLI("query", "auth", "account", addr, "--output", "json")
		accNum, seq0 := jsonUint(accountNumberRE, account), jsonUint(sequenceRE, account)
		from, _ := sdk.AccAddressFromBech32(addr)
		f := clienttx.Factory{}.WithTxConfig(enc.TxConfig).WithKeybase(kr).WithChainID(testChainID).
			WithAccountNumber(accNum).WithGas(100_000).WithFees("2500" + denom).WithSignMode(signing.SignMode_SIGN_MODE_DIRECT)
		for seq := seq0; seq < seq0+uint64(perSender); seq++ {
			msg := banktypes.NewMsgSend(from, toAddr, sdk.NewCoins(sdk.NewCoin(denom, sdkmath.NewInt(1))))
			builder, err := f.WithSequence(seq).BuildUnsignedTx(msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := clienttx.Sign(context.Background(), f.WithSequence(seq), key, builder, true); err != nil {
				t.Fatal(err)
			}
			raw, err := enc.TxConfig.TxEncoder()(builder.GetTx())
			if err != nil {
				t.Fatal(err)
			}
			out[i] = append(out[i], raw)
		}
	}
	return out
}
