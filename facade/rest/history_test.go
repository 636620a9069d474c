package rest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/log/v2"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/aitbc/chain/facade/metrics"
	"github.com/aitbc/chain/facade/node"
	"github.com/aitbc/chain/indexer"
)

func testAddr(t *testing.T, b byte) string {
	t.Helper()
	raw := make([]byte, 20)
	raw[0], raw[19] = b, b
	addr, err := bech32.ConvertAndEncode("ait", raw)
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// historyServer is a REST server whose node is never dialled (the history
// endpoints only read the index) and whose index is h.
func historyServer(t *testing.T, h History) *Server {
	t.Helper()
	n, err := node.Dial(node.Options{
		CometRPC: "tcp://127.0.0.1:1", GRPC: "127.0.0.1:1",
		InterfaceRegistry: codectypes.NewInterfaceRegistry(), AccountPrefix: "ait",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return New(n, nil, Options{Timeout: 10 * time.Second, MaxBodyBytes: 1 << 20, History: h}, log.NewNopLogger(), metrics.New())
}

// indexedStore is a SQLite index with blocks 1–3, each a send alice → bob,
// and jobs 1–3 of alice (1 and 3 taken by carol), written through the store.
func indexedStore(t *testing.T, alice, bob, carol string) *indexer.Store {
	t.Helper()
	ctx := context.Background()
	target, err := indexer.ParseDatabaseURL("sqlite://"+filepath.Join(t.TempDir(), "index.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := indexer.Open(ctx, target, indexer.ComputeProjection{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var blocks []*indexer.Block
	for h := int64(1); h <= 3; h++ {
		blocks = append(blocks, &indexer.Block{
			Height: h, Hash: fmt.Sprintf("%064X", h), Time: time.Date(2026, 1, 2, 3, 4, int(h), 0, time.UTC),
			ChainID: "ait-test-1", Proposer: strings.Repeat("AB", 20), AppHash: strings.Repeat("CD", 32),
			Txs: []indexer.Tx{{
				Height: h, Index: 0, Hash: fmt.Sprintf("%064X", 100+h), GasWanted: 200_000, GasUsed: 80_000,
				TxInfo: indexer.TxInfo{
					Signers: []string{alice}, MsgTypes: []string{"/cosmos.bank.v1beta1.MsgSend"},
					Fee: []indexer.Coin{{Denom: "uait", Amount: "5000"}}, FeePayer: alice, Memo: fmt.Sprintf("send %d", h),
				},
				Accounts: []string{alice, bob},
			}},
		})
	}
	if err := s.WriteBlocks(ctx, blocks); err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= 3; id++ {
		provider := ""
		if id != 2 {
			provider = carol
		}
		if _, err := s.DB().ExecContext(ctx, s.Rebind(`INSERT INTO compute_jobs (job_id, client, provider, model, escrow, status,
			deadline_height, submitted_height, submit_tx_hash) VALUES (?, ?, ?, 'llama', '100uait', 'submitted', 50, ?, 'AA')`),
			id, alice, provider, id); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func get(t *testing.T, s *Server, path string, out any) int {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("GET %s: %d %s: %v", path, rec.Code, rec.Body, err)
		}
	}
	return rec.Code
}

type errBody struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func TestHistoryEndpoints(t *testing.T) {
	alice, bob, carol, dave := testAddr(t, 1), testAddr(t, 2), testAddr(t, 3), testAddr(t, 4)
	s := historyServer(t, indexedStore(t, alice, bob, carol))

	var txs indexer.TxList
	if code := get(t, s, "/rpc/get_txs/"+bob, &txs); code != http.StatusOK {
		t.Fatalf("get_txs: %d", code)
	}
	if txs.Total != 3 || len(txs.Txs) != 3 || txs.Txs[0].Height != 3 || txs.Txs[2].Height != 1 || txs.Txs[0].Memo != "send 3" {
		t.Fatalf("get_txs: want 3 txs newest first, got %+v", txs)
	}
	if code := get(t, s, "/rpc/get_txs/"+alice+"?limit=1&offset=1", &txs); code != http.StatusOK {
		t.Fatalf("get_txs paged: %d", code)
	}
	if txs.Total != 3 || len(txs.Txs) != 1 || txs.Txs[0].Height != 2 {
		t.Fatalf("get_txs limit=1 offset=1: want height 2 of 3, got %+v", txs)
	}
	if code := get(t, s, "/rpc/get_txs/"+dave, &txs); code != http.StatusOK || txs.Total != 0 || txs.Txs == nil || len(txs.Txs) != 0 {
		t.Fatalf("get_txs of an unknown address: want 200 and an empty list, got %d %+v", code, txs)
	}

	var jobs indexer.JobList
	if code := get(t, s, "/rpc/compute/history/jobs?client="+alice, &jobs); code != http.StatusOK {
		t.Fatalf("history jobs: %d", code)
	}
	if jobs.Total != 3 || len(jobs.Jobs) != 3 || jobs.Jobs[0].JobID != 3 {
		t.Fatalf("jobs of the client: want 3, newest first, got %+v", jobs)
	}
	if code := get(t, s, "/rpc/compute/history/jobs?provider="+carol+"&limit=1", &jobs); code != http.StatusOK {
		t.Fatalf("history jobs by provider: %d", code)
	}
	if jobs.Total != 2 || len(jobs.Jobs) != 1 || jobs.Jobs[0].JobID != 3 {
		t.Fatalf("jobs of the provider, limit 1: want job 3 of 2, got %+v", jobs)
	}
	if code := get(t, s, "/rpc/compute/history/jobs?provider="+dave, &jobs); code != http.StatusOK || jobs.Total != 0 || jobs.Jobs == nil || len(jobs.Jobs) != 0 {
		t.Fatalf("jobs of an unknown provider: want 200 and an empty list, got %d %+v", code, jobs)
	}

	for _, path := range []string{
		"/rpc/get_txs/notanaddress",
		"/rpc/get_txs/cosmos1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnlcvgqd",
		"/rpc/get_txs/" + alice + "?limit=0",
		"/rpc/get_txs/" + alice + "?limit=501",
		"/rpc/get_txs/" + alice + "?limit=x",
		"/rpc/get_txs/" + alice + "?offset=-1",
		"/rpc/compute/history/jobs",
		"/rpc/compute/history/jobs?client=" + alice + "&provider=" + carol,
		"/rpc/compute/history/jobs?client=bad",
		"/rpc/compute/history/jobs?provider=" + carol + "&offset=z",
	} {
		var e errBody
		if code := get(t, s, path, &e); code != http.StatusBadRequest || e.Error.Code != http.StatusBadRequest || e.Error.Message == "" {
			t.Errorf("GET %s: want a 400 error, got %d %+v", path, code, e)
		}
	}
}

func TestHistoryWithoutIndex(t *testing.T) {
	alice := testAddr(t, 1)
	s := historyServer(t, nil)
	for _, path := range []string{"/rpc/get_txs/" + alice, "/rpc/compute/history/jobs?client=" + alice} {
		var e errBody
		code := get(t, s, path, &e)
		if code != http.StatusServiceUnavailable || e.Error.Code != http.StatusServiceUnavailable || !strings.Contains(e.Error.Message, "SQL index is not enabled") {
			t.Errorf("GET %s without an index: want 503 naming the SQL index, got %d %+v", path, code, e)
		}
	}
}
