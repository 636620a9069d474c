package system

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cosmos/cosmos-sdk/types/bech32"
)

// head is the part of /rpc/get_head (and new_blocks) the tests read.
type head struct {
	ChainID  string   `json:"chain_id"`
	Height   int64    `json:"height"`
	Hash     string   `json:"hash"`
	NumTxs   int      `json:"num_txs"`
	AppHash  string   `json:"app_hash"`
	TxHashes []string `json:"tx_hashes"`
}

type facadeTx struct {
	Hash     string   `json:"hash"`
	Height   int64    `json:"height"`
	Messages []string `json:"messages"`
	Signers  []string `json:"signers"`
	Fee      struct {
		Amount []struct {
			Denom  string `json:"denom"`
			Amount string `json:"amount"`
		} `json:"amount"`
		GasLimit uint64 `json:"gas_limit"`
	} `json:"fee"`
	Code    uint32 `json:"code"`
	GasUsed int64  `json:"gas_used"`
	Events  []struct {
		Type string `json:"type"`
	} `json:"events"`
}

type balance struct {
	Address  string `json:"address"`
	Balances []struct {
		Denom  string `json:"denom"`
		Amount string `json:"amount"`
	} `json:"balances"`
	AccountExists bool   `json:"account_exists"`
	AccountNumber uint64 `json:"account_number"`
	Sequence      uint64 `json:"sequence"`
}

func (b balance) uait() string {
	for _, c := range b.Balances {
		if c.Denom == denom {
			return c.Amount
		}
	}
	return "0"
}

type sendResult struct {
	Hash    string `json:"hash"`
	CheckTx struct {
		Code uint32 `json:"code"`
		Log  string `json:"log"`
	} `json:"check_tx"`
	Included *facadeTx `json:"included"`
	Pending  bool      `json:"pending"`
}

var hexHash = regexp.MustCompile(`^[0-9A-F]{64}$`)

// TestFacade drives the AITBC API facade that `aitbcd start` serves, on one
// single-validator chain: every REST endpoint and its bad input, a CLI-signed
// transaction through send_tx, the WebSocket topics (100 subscribers, a stuck
// one, resume), the metrics with promtool and a real Prometheus, and the
// standalone `aitbcd facade`.
func TestFacade(t *testing.T) {
	n := initChain(t)
	// Every WebSocket client of this test dials from 127.0.0.1, and the fan-out
	// subtest opens 100 at once: above the per-IP defaults (16 clients, 2
	// upgrades a second), which facade/ws's own tests cover.
	wsPerIP := []string{"AITBCD_FACADE_WS_MAX_CLIENTS_PER_IP=1000", "AITBCD_FACADE_WS_UPGRADE_RATE=1000", "AITBCD_FACADE_WS_UPGRADE_BURST=1000"}
	n.start(wsPerIP, append([]string{"start", "--home", n.home}, n.startArgs()...)...)
	n.waitForHeight(3, 90*time.Second)
	alice, bob := n.keyAddress("alice"), n.keyAddress("bob")

	// Scraping starts now and is checked at the end, after blocks went by.
	prom := startPrometheus(t, fmt.Sprintf("127.0.0.1:%d", n.ports.Metrics))

	t.Run("REST", func(t *testing.T) { testFacadeREST(t, n, alice) })
	t.Run("REST bad input", func(t *testing.T) { testFacadeBadInput(t, n, alice) })
	t.Run("CLI tx through send_tx", func(t *testing.T) { testFacadeSendTx(t, n, alice, bob) })
	t.Run("compute read endpoints", func(t *testing.T) { testFacadeCompute(t, n, alice, bob) })
	t.Run("WebSocket bad input", func(t *testing.T) { testWSBadInput(t, n) })
	t.Run("WebSocket consensus events", func(t *testing.T) { testWSConsensus(t, n) })
	t.Run("WebSocket resume from height", func(t *testing.T) { testWSResume(t, n) })
	t.Run("WebSocket 100 subscribers and a stuck one", func(t *testing.T) { testWSFanOut(t, n) })
	t.Run("metrics", func(t *testing.T) { testFacadeMetrics(t, n) })
	t.Run("standalone facade", func(t *testing.T) { testStandaloneFacade(t, n) })
	t.Run("TLS", func(t *testing.T) { testTLSFacade(t, n) })
	t.Run("standalone facade across a node restart", func(t *testing.T) { testFacadeAcrossRestart(t, n) })
	if prom != nil {
		t.Run("Prometheus scrapes blockchain_blocks_total", func(t *testing.T) {
			first := prom.waitQuery(`blockchain_blocks_total{job="aitbcd"}`, 60*time.Second, func(v float64) bool { return v > 0 })
			later := prom.waitQuery(`blockchain_blocks_total{job="aitbcd"}`, 60*time.Second, func(v float64) bool { return v >= first+2 })
			prom.waitQuery(`up{job="aitbcd"}`, 10*time.Second, func(v float64) bool { return v == 1 })
			t.Logf("Prometheus saw blockchain_blocks_total go from %v to %v", first, later)
		})
	}
}

func testFacadeREST(t *testing.T, n *node, alice string) {
	type blockView struct {
		head
		Txs    []facadeTx `json:"txs"`
		Events []struct {
			Type       string `json:"type"`
			Attributes []struct {
				Key   string `json:"key"`
				Value string `json:"value"`
			} `json:"attributes"`
		} `json:"events"`
	}
	type peersView struct {
		Listening bool `json:"listening"`
		Count     int  `json:"count"`
		Peers     []any
	}
	type healthView struct {
		Status string `json:"status"`
		Height int64  `json:"height"`
	}
	type syncView struct {
		ChainID           string `json:"chain_id"`
		CatchingUp        bool   `json:"catching_up"`
		LatestBlockHeight int64  `json:"latest_block_height"`
		EarliestHeight    int64  `json:"earliest_block_height"`
	}
	type openAPIView struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	// A valid address that never received anything: no account, nonce 0.
	fresh, _ := bech32.ConvertAndEncode("ait", bytes.Repeat([]byte{7}, 20))

	runRESTCases(t, n.facadeURL(), []restCase{
		{name: "get_head", path: "/rpc/get_head", check: decoded(func(t *testing.T, h head) {
			if h.ChainID != testChainID || h.Height < 3 || !hexHash.MatchString(h.Hash) || !hexHash.MatchString(h.AppHash) {
				t.Fatalf("get_head = %+v", h)
			}
			// The same block through CometBFT RPC: the facade adds nothing up.
			if direct := n.block(h.Height).BlockID.Hash.String(); direct != h.Hash {
				t.Fatalf("get_head hash %s, CometBFT says %s", h.Hash, direct)
			}
		})},
		{name: "get_block", path: "/rpc/get_block/2", check: decoded(func(t *testing.T, blk blockView) {
			if blk.Height != 2 || blk.Txs == nil || len(blk.Events) == 0 {
				t.Fatalf("get_block/2 = %+v", blk)
			}
		})},
		{name: "get_balance", path: "/rpc/get_balance/" + alice, check: decoded(func(t *testing.T, b balance) {
			if b.Address != alice || b.uait() == "0" || !b.AccountExists {
				t.Fatalf("get_balance = %+v", b)
			}
			if want := n.balanceCLI(alice).String(); b.uait() != want {
				t.Fatalf("get_balance says %s uait, the CLI %s", b.uait(), want)
			}
		})},
		{name: "get_balance of an unused address", path: "/rpc/get_balance/" + fresh, check: func(t *testing.T, body []byte) {
			// The fields are there, not left out: a client reads false, 0, [].
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(body, &fields); err != nil {
				t.Fatalf("decoding %s: %v", body, err)
			}
			for _, k := range []string{"account_exists", "sequence", "balances"} {
				if _, ok := fields[k]; !ok {
					t.Errorf("get_balance of an unused address lacks %q: %s", k, body)
				}
			}
			decoded(func(t *testing.T, b balance) {
				if b.AccountExists || b.Sequence != 0 || len(b.Balances) != 0 {
					t.Fatalf("get_balance of an unused address = %+v", b)
				}
			})(t, body)
		}},
		{name: "peers", path: "/rpc/peers", check: decoded(func(t *testing.T, peers peersView) {
			if !peers.Listening || peers.Count != 0 || peers.Peers == nil {
				t.Fatalf("peers of a single node = %+v", peers)
			}
		})},
		{name: "health", path: "/health", check: decoded(func(t *testing.T, health healthView) {
			if health.Status != "ok" || health.Height < 3 {
				t.Fatalf("health = %+v", health)
			}
		})},
		{name: "sync_status", path: "/sync_status", check: decoded(func(t *testing.T, sync syncView) {
			if sync.ChainID != testChainID || sync.CatchingUp || sync.LatestBlockHeight < 3 || sync.EarliestHeight != 1 {
				t.Fatalf("sync_status = %+v", sync)
			}
		})},
		{name: "openapi.json", path: "/openapi.json", check: decoded(func(t *testing.T, doc openAPIView) {
			if !strings.HasPrefix(doc.OpenAPI, "3.") {
				t.Fatalf("openapi version %q", doc.OpenAPI)
			}
			for _, p := range []string{"/rpc/get_head", "/rpc/get_block/{height}", "/rpc/get_balance/{address}", "/rpc/send_tx",
				"/rpc/get_tx/{hash}", "/rpc/peers", "/health", "/sync_status"} {
				if _, ok := doc.Paths[p]; !ok {
					t.Errorf("openapi.json lacks %s", p)
				}
			}
		})},
	})
}

func testFacadeBadInput(t *testing.T, n *node, alice string) {
	base := n.facadeURL()
	_, aliceBytes, err := bech32.DecodeAndConvert(alice)
	if err != nil {
		t.Fatal(err)
	}
	otherChain, _ := bech32.ConvertAndEncode("cosmos", aliceBytes)
	badChecksum := alice[:len(alice)-1] + map[bool]string{true: "q", false: "p"}[alice[len(alice)-1] != 'q']
	big := []byte(`{"tx_bytes":"` + strings.Repeat("A", 2<<20) + `"}`)
	runRESTCases(t, base, []restCase{
		{name: "height not a number", path: "/rpc/get_block/abc", status: 400, wantMsg: "invalid height"},
		{name: "height zero", path: "/rpc/get_block/0", status: 400, wantMsg: "invalid height"},
		{name: "height negative", path: "/rpc/get_block/-5", status: 400, wantMsg: "invalid height"},
		{name: "height overflow", path: "/rpc/get_block/99999999999999999999", status: 400, wantMsg: "invalid height"},
		{name: "height in the future", path: "/rpc/get_block/99999999", status: 404, wantMsg: "current blockchain height"},
		{name: "address garbage", path: "/rpc/get_balance/notanaddress", status: 400, wantMsg: "invalid address"},
		{name: "address bad checksum", path: "/rpc/get_balance/" + badChecksum, status: 400, wantMsg: "checksum"},
		{name: "address of another chain", path: "/rpc/get_balance/" + otherChain, status: 400, wantMsg: `want the "ait" prefix`},
		{name: "hash too short", path: "/rpc/get_tx/ABCD", status: 400, wantMsg: "64 hex digits"},
		{name: "hash not hex", path: "/rpc/get_tx/" + strings.Repeat("Z", 64), status: 400, wantMsg: "64 hex digits"},
		{name: "unknown tx", path: "/rpc/get_tx/" + strings.Repeat("0", 64), status: 404, wantMsg: "not found"},
		{name: "send_tx bad JSON", method: http.MethodPost, path: "/rpc/send_tx", body: []byte(`{"tx_bytes":`), status: 400, wantMsg: "invalid JSON"},
		{name: "send_tx not an object", method: http.MethodPost, path: "/rpc/send_tx", body: []byte(`[1,2]`), status: 400, wantMsg: "invalid JSON"},
		{name: "send_tx unknown field", method: http.MethodPost, path: "/rpc/send_tx", body: []byte(`{"tx":"AAAA"}`), status: 400, wantMsg: "unknown field"},
		{name: "send_tx no tx", method: http.MethodPost, path: "/rpc/send_tx", body: []byte(`{}`), status: 400, wantMsg: "tx_bytes is required"},
		{name: "send_tx bad base64", method: http.MethodPost, path: "/rpc/send_tx", body: []byte(`{"tx_bytes":"not base64!"}`), status: 400, wantMsg: "not valid base64"},
		{name: "send_tx not a tx", method: http.MethodPost, path: "/rpc/send_tx", body: []byte(`{"tx_bytes":"aGVsbG8gd29ybGQ="}`), status: 400, wantMsg: "not a transaction"},
		{name: "send_tx body too large", method: http.MethodPost, path: "/rpc/send_tx", body: big, status: 413, wantMsg: "exceeds the limit"},
		{name: "send_tx with GET", path: "/rpc/send_tx", status: 405, wantMsg: "takes POST"},
		{name: "get_head with POST", method: http.MethodPost, path: "/rpc/get_head", status: 405, wantMsg: "takes GET"},
		{name: "unknown endpoint", path: "/rpc/get_everything", status: 404, wantMsg: "no such endpoint"},
	})
	// None of it hurt the node or the facade.
	var h head
	getJSON(t, base+"/rpc/get_head", &h)
	n.waitForHeight(h.Height+1, 30*time.Second)
}

func testFacadeSendTx(t *testing.T, n *node, alice, bob string) {
	base := n.facadeURL()
	var aliceBefore, bobBefore balance
	getJSON(t, base+"/rpc/get_balance/"+alice, &aliceBefore)
	getJSON(t, base+"/rpc/get_balance/"+bob, &bobBefore)

	ws := newWSClient(t, n.ports.WS, "topics=new_transactions,new_blocks")
	ws.waitFor(10*time.Second, "subscription ack", func(m wsMessage) bool { return m.Type == "subscribed" && m.Topic == "new_blocks" })

	txBytes := n.cliTx("alice", bob, "4242"+denom)
	status, body := call(t, http.MethodPost, base+"/rpc/send_tx", []byte(`{"tx_bytes":"`+txBytes+`"}`))
	var res sendResult
	if err := json.Unmarshal(body, &res); status != 200 || err != nil {
		t.Fatalf("send_tx: %d %s", status, body)
	}
	if res.CheckTx.Code != 0 || !hexHash.MatchString(res.Hash) || !res.Pending {
		t.Fatalf("send_tx = %s", body)
	}

	// new_transactions announces the tx before new_blocks carries it.
	pending := ws.waitFor(30*time.Second, "new_transactions for "+res.Hash, func(m wsMessage) bool {
		return m.Topic == "new_transactions" && strings.Contains(string(m.Data), res.Hash)
	})
	included := ws.waitFor(30*time.Second, "new_blocks with "+res.Hash, func(m wsMessage) bool {
		var b head
		_ = json.Unmarshal(m.Data, &b)
		return m.Topic == "new_blocks" && slices.Contains(b.TxHashes, res.Hash)
	})
	if !pending.at.Before(included.at) {
		t.Fatalf("new_transactions (%s) did not come before the block (%s)", pending.at, included.at)
	}
	var announced struct {
		Messages []string `json:"messages"`
		Signers  []string `json:"signers"`
		Source   string   `json:"source"`
	}
	if err := json.Unmarshal(pending.Data, &announced); err != nil || !slices.Contains(announced.Messages, "/cosmos.bank.v1beta1.MsgSend") ||
		!slices.Contains(announced.Signers, alice) {
		t.Fatalf("new_transactions message %s", pending.Data)
	}

	var tx facadeTx
	getJSONOnceIndexed(t, base+"/rpc/get_tx/"+res.Hash, &tx)
	if tx.Code != 0 || tx.Height != included.Height || !slices.Contains(tx.Messages, "/cosmos.bank.v1beta1.MsgSend") ||
		!slices.Equal(tx.Signers, []string{alice}) || len(tx.Fee.Amount) != 1 || tx.Fee.Amount[0].Amount != strings.TrimSuffix(txFee, denom) ||
		tx.GasUsed == 0 || len(tx.Events) == 0 {
		t.Fatalf("get_tx = %+v", tx)
	}
	// Lower-case and 0x-prefixed hashes find it too.
	getJSON(t, base+"/rpc/get_tx/0x"+strings.ToLower(res.Hash), &tx)

	var aliceAfter, bobAfter balance
	getJSON(t, base+"/rpc/get_balance/"+alice, &aliceAfter)
	getJSON(t, base+"/rpc/get_balance/"+bob, &bobAfter)
	if got, want := mustInt(t, bobAfter.uait()), mustInt(t, bobBefore.uait()).AddRaw(4242); !got.Equal(want) {
		t.Fatalf("bob has %s uait through get_balance, want %s", got, want)
	}
	if got, want := mustInt(t, aliceAfter.uait()), mustInt(t, aliceBefore.uait()).SubRaw(4242).Sub(mustInt(t, strings.TrimSuffix(txFee, denom))); !got.Equal(want) {
		t.Fatalf("alice has %s uait, want %s", got, want)
	}
	if aliceAfter.Sequence != aliceBefore.Sequence+1 {
		t.Fatalf("alice's nonce went from %d to %d", aliceBefore.Sequence, aliceAfter.Sequence)
	}

	// The same bytes again are refused (replay), with a JSON answer either way.
	status, body = call(t, http.MethodPost, base+"/rpc/send_tx", []byte(`{"tx_bytes":"`+txBytes+`"}`))
	if status == 200 {
		if err := json.Unmarshal(body, &res); err != nil || res.CheckTx.Code == 0 {
			t.Fatalf("a replayed tx was accepted: %s", body)
		}
	} else {
		wantError(t, status, body, 400, "already")
	}

	// wait_for_inclusion answers with the included tx.
	second := n.cliTx("alice", bob, "1"+denom)
	status, body = call(t, http.MethodPost, base+"/rpc/send_tx", []byte(`{"tx_bytes":"`+second+`","wait_for_inclusion":true}`))
	if err := json.Unmarshal(body, &res); status != 200 || err != nil || res.Included == nil || res.Included.Height == 0 ||
		res.Included.Code != 0 || res.Pending {
		t.Fatalf("send_tx with wait_for_inclusion: %d %s", status, body)
	}
}

// testFacadeCompute reads the AI-workload market after a provider registers
// and two jobs are submitted with the CLI.
func testFacadeCompute(t *testing.T, n *node, alice, bob string) {
	base := n.facadeURL()
	type job struct {
		ID     string `json:"id"`
		Client string `json:"client"`
		Model  string `json:"model"`
		Escrow string `json:"escrow"`
		State  string `json:"state"`
	}
	type jobList struct {
		Jobs    []job  `json:"jobs"`
		NextKey string `json:"next_key"`
	}
	type providerList struct {
		Providers []json.RawMessage `json:"providers"`
		NextKey   string            `json:"next_key"`
	}
	// A new chain's market: empty lists, not null.
	runRESTCases(t, base, []restCase{
		{name: "no jobs yet", path: "/rpc/compute/jobs", check: decoded(func(t *testing.T, jobs jobList) {
			if jobs.Jobs == nil || len(jobs.Jobs) != 0 {
				t.Fatalf("a new chain's market: %+v", jobs)
			}
		})},
		{name: "no providers yet", path: "/rpc/compute/providers", check: decoded(func(t *testing.T, providers providerList) {
			if providers.Providers == nil || len(providers.Providers) != 0 {
				t.Fatalf("a new chain's market: %+v", providers)
			}
		})},
	})

	n.mustCLI("keys", "add", "worker")
	workerKey := strings.TrimSpace(n.mustCLI("keys", "show", "worker", "--pubkey"))
	n.tx("bob", "compute", "register-provider", workerKey, "1000", "200000000", "llama-3-8b",
		"--endpoint", "https://gpu.example/v1", "--hardware", `{"gpu_model":"A100","gpu_count":8,"memory_gb":80}`)
	n.tx("alice", "compute", "submit-job", "inference", "llama-3-8b", sha256Hex("prompt-1"), "100", "1500", "500")
	n.tx("alice", "compute", "submit-job", "inference", "llama-3-8b", sha256Hex("prompt-2"), "10", "1500", "500")

	type providerView struct {
		Owner    string          `json:"owner"`
		Pubkey   json.RawMessage `json:"pubkey"`
		Status   string          `json:"status"`
		Bond     string          `json:"bond"`
		Hardware struct {
			GPUModel string `json:"gpu_model"`
			GPUCount int    `json:"gpu_count"`
		} `json:"hardware"`
	}
	cases := []restCase{
		{name: "provider", path: "/rpc/compute/providers/" + bob, check: decoded(func(t *testing.T, provider providerView) {
			if provider.Owner != bob || provider.Status != "PROVIDER_STATUS_ACTIVE" || provider.Bond != "200000000" ||
				provider.Hardware.GPUModel != "A100" || provider.Hardware.GPUCount != 8 || !strings.Contains(string(provider.Pubkey), "PubKey") {
				t.Fatalf("provider %+v", provider)
			}
		})},
		{name: "providers", path: "/rpc/compute/providers", check: decoded(func(t *testing.T, providers providerList) {
			if len(providers.Providers) != 1 {
				t.Fatalf("providers: %d", len(providers.Providers))
			}
		})},
		{name: "job 1", path: "/rpc/compute/jobs/1", check: decoded(func(t *testing.T, one job) {
			if one.ID != "1" || one.Client != alice || one.Model != "llama-3-8b" || one.State != "JOB_STATE_OPEN" || one.Escrow != "150000" {
				t.Fatalf("job 1: %+v", one)
			}
		})},
	}
	// How many jobs each filter finds.
	for _, f := range []struct {
		query string
		want  int
	}{{"", 2}, {"?state=open", 2}, {"?state=JOB_STATE_SETTLED", 0}, {"?client=" + alice, 2}, {"?provider=" + bob, 0}} {
		cases = append(cases, restCase{name: "jobs" + f.query, path: "/rpc/compute/jobs" + f.query, check: decoded(func(t *testing.T, jobs jobList) {
			if len(jobs.Jobs) != f.want {
				t.Errorf("jobs%s: %d, want %d", f.query, len(jobs.Jobs), f.want)
			}
		})})
	}
	runRESTCases(t, base, cases)

	// Paging: one job per page; the second page needs the first's next_key.
	var jobs jobList
	getJSON(t, base+"/rpc/compute/jobs?limit=1", &jobs)
	if len(jobs.Jobs) != 1 || jobs.Jobs[0].ID != "1" || jobs.NextKey == "" {
		t.Fatalf("first page: %+v", jobs)
	}
	getJSON(t, base+"/rpc/compute/jobs?limit=1&page_key="+url.QueryEscape(jobs.NextKey), &jobs)
	if len(jobs.Jobs) != 1 || jobs.Jobs[0].ID != "2" || jobs.NextKey != "" {
		t.Fatalf("second page: %+v", jobs)
	}

	runRESTCases(t, base, []restCase{
		{name: "job id not a number", path: "/rpc/compute/jobs/abc", status: 400, wantMsg: "invalid job id"},
		{name: "job id zero", path: "/rpc/compute/jobs/0", status: 400, wantMsg: "invalid job id"},
		{name: "unknown job", path: "/rpc/compute/jobs/999", status: 404, wantMsg: "not found"},
		{name: "unknown state", path: "/rpc/compute/jobs?state=running", status: 400, wantMsg: "invalid state"},
		{name: "two filters", path: "/rpc/compute/jobs?client=" + alice + "&state=open", status: 400, wantMsg: "at most one"},
		{name: "client not an address", path: "/rpc/compute/jobs?client=ait1nope", status: 400, wantMsg: "invalid address"},
		{name: "limit zero", path: "/rpc/compute/jobs?limit=0", status: 400, wantMsg: "invalid limit"},
		{name: "limit too large", path: "/rpc/compute/jobs?limit=1000", status: 400, wantMsg: "invalid limit"},
		{name: "page_key not base64", path: "/rpc/compute/jobs?page_key=%21%21", status: 400, wantMsg: "invalid page_key"},
		{name: "provider not an address", path: "/rpc/compute/providers/notanaddress", status: 400, wantMsg: "invalid address"},
		{name: "not a provider", path: "/rpc/compute/providers/" + alice, status: 404, wantMsg: "not registered"},
	})

	// The market's gauges reach the metrics endpoint (polled every 10s).
	deadline := time.Now().Add(40 * time.Second)
	for {
		_, body := call(t, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/metrics", n.ports.Metrics), nil)
		text := string(body)
		if strings.Contains(text, "\nblockchain_compute_providers 1\n") && strings.Contains(text, `blockchain_compute_jobs{state="open"} 2`) &&
			strings.Contains(text, "\nblockchain_compute_job_escrow_uait 165000\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("compute gauges never showed 1 provider, 2 open jobs, 165000 uait escrow")
		}
		time.Sleep(time.Second)
	}
}

func testWSBadInput(t *testing.T, n *node) {
	status, body := call(t, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/", n.ports.WS), nil)
	wantError(t, status, body, 400, "speaks WebSocket")
	status, body = call(t, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/?topics=everything", n.ports.WS), nil,
		"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	wantError(t, status, body, 400, "unknown topic")

	c := newWSClient(t, n.ports.WS, "")
	if err := c.conn.WriteMessage(1, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	c.send(map[string]any{"action": "subscribe", "topic": "gossip"})
	c.send(map[string]any{"action": "dance"})
	c.send(map[string]any{"action": "subscribe", "topic": "new_transactions", "from_height": 5})
	c.send(map[string]any{"action": "ping"})
	c.waitFor(10*time.Second, "pong", func(m wsMessage) bool { return m.Type == "pong" })
	msgs, _ := c.snapshot()
	var errs []string
	for _, m := range msgs {
		if m.Type == "error" && m.Error != nil && m.Error.Code == 400 {
			errs = append(errs, m.Error.Message)
		}
	}
	want := []string{"invalid JSON", "unknown topic", "unknown action", "only applies to new_blocks"}
	if len(errs) != len(want) {
		t.Fatalf("errors %q, want %d", errs, len(want))
	}
	for i, w := range want {
		if !strings.Contains(errs[i], w) {
			t.Errorf("error %d = %q, want %q", i, errs[i], w)
		}
	}
	// The connection survived all of it.
	c.send(map[string]any{"action": "subscribe", "topic": "new_blocks"})
	c.waitFor(10*time.Second, "a block after bad input", func(m wsMessage) bool { return m.Type == "event" && m.Topic == "new_blocks" })
}

func testWSConsensus(t *testing.T, n *node) {
	c := newWSClient(t, n.ports.WS, "")
	c.send(map[string]any{"action": "subscribe", "topic": "consensus_events"})
	kinds := map[string]bool{}
	c.waitFor(20*time.Second, "new_round, round_step, proposal and prevote and precommit summaries", func(m wsMessage) bool {
		var ev struct {
			Kind      string `json:"kind"`
			VoteType  string `json:"vote_type"`
			Votes     int    `json:"votes"`
			BlockHash string `json:"block_hash"`
		}
		_ = json.Unmarshal(m.Data, &ev)
		if ev.Kind == "votes" && (ev.Votes != 1 || !hexHash.MatchString(ev.BlockHash)) {
			t.Errorf("one validator's vote summary: %s", m.Data)
		}
		kinds[ev.Kind+ev.VoteType] = true
		return kinds["new_round"] && kinds["round_step"] && kinds["proposal"] && kinds["votesprevote"] && kinds["votesprecommit"]
	})
	c.send(map[string]any{"action": "unsubscribe", "topic": "consensus_events"})
	c.waitFor(10*time.Second, "unsubscribe ack", func(m wsMessage) bool { return m.Type == "unsubscribed" })
}

// testWSResume: a client that disconnects and comes back with from_height
// gets every block it missed, then the live ones, with no gap or repeat.
func testWSResume(t *testing.T, n *node) {
	first := newWSClient(t, n.ports.WS, "topics=new_blocks")
	first.waitFor(30*time.Second, "two blocks", func(wsMessage) bool { return len(first.blockHeights()) >= 2 })
	first.conn.Close()
	<-first.done
	seen := first.blockHeights()
	last := seen[len(seen)-1]

	n.waitForHeight(last+3, 30*time.Second) // blocks go by while it is away
	again := newWSClient(t, n.ports.WS, fmt.Sprintf("topics=new_blocks&from_height=%d", last+1))
	target, err := n.height()
	if err != nil {
		t.Fatal(err)
	}
	again.waitFor(30*time.Second, fmt.Sprintf("blocks %d to %d", last+1, target+1), func(wsMessage) bool {
		hs := again.blockHeights()
		return len(hs) > 0 && hs[len(hs)-1] >= target+1
	})
	hs := again.blockHeights()
	if hs[0] != last+1 {
		t.Fatalf("resume from %d started at %d", last+1, hs[0])
	}
	if err := contiguous(hs); err != nil {
		t.Fatalf("resumed stream: %v (%v)", err, hs)
	}

	// From further back than the hub remembers: read from the node.
	old := newWSClient(t, n.ports.WS, "")
	old.send(map[string]any{"action": "subscribe", "topic": "new_blocks", "from_height": 1})
	old.waitFor(30*time.Second, "blocks from 1 to the head", func(wsMessage) bool {
		hs := old.blockHeights()
		return len(hs) > 0 && hs[len(hs)-1] > target
	})
	if hs := old.blockHeights(); hs[0] != 1 || contiguous(hs) != nil {
		t.Fatalf("from_height 1: %v", hs)
	}
}

// testWSFanOut: 100 subscribers receive every block in order with no gaps
// for AITBC_WS_SOAK (30s), while one more subscriber never reads a byte.
func testWSFanOut(t *testing.T, n *node) {
	soak := 30 * time.Second
	if v := os.Getenv("AITBC_WS_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("AITBC_WS_SOAK=%q: %v", v, err)
		}
		soak = d
	}
	// The stuck client subscribes to everything and never reads.
	stuck := dialWS(t, n.ports.WS, "topics=new_blocks,new_transactions,consensus_events")
	_ = stuck

	const subscribers = 100
	clients := make([]*wsClient, subscribers)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clients[i] = newWSClient(t, n.ports.WS, "topics=new_blocks")
		}()
	}
	wg.Wait()
	start, err := n.height()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(soak)
	end := n.waitForHeight(start+1, 30*time.Second)

	// Every subscriber reaches the chain's height and saw each block once, in order.
	deadline := time.Now().Add(30 * time.Second)
	arrivals := map[int64][]time.Time{}
	for i, c := range clients {
		for {
			hs := c.blockHeights()
			if len(hs) > 0 && hs[len(hs)-1] >= end {
				break
			}
			if _, err := c.snapshot(); err != nil {
				t.Fatalf("subscriber %d lost its connection: %v", i, err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("subscriber %d stopped at %v, chain at %d", i, hs[max(0, len(hs)-3):], end)
			}
			time.Sleep(100 * time.Millisecond)
		}
		hs := c.blockHeights()
		if err := contiguous(hs); err != nil {
			t.Fatalf("subscriber %d: %v", i, err)
		}
		if hs[0] > start+1 {
			t.Fatalf("subscriber %d's first block is %d, subscribed at %d", i, hs[0], start)
		}
		msgs, _ := c.snapshot()
		for _, m := range msgs {
			if m.Topic == "new_blocks" {
				arrivals[m.Height] = append(arrivals[m.Height], m.at)
			}
		}
	}
	// Figures only: how far apart the 100 copies of one block arrived.
	var spread time.Duration
	for _, ts := range arrivals {
		lo, hi := slices.MinFunc(ts, time.Time.Compare), slices.MaxFunc(ts, time.Time.Compare)
		spread = max(spread, hi.Sub(lo))
	}
	t.Logf("%d subscribers got blocks %d..%d (%s) in order; worst spread of one block across subscribers %s",
		subscribers, start, end, soak, spread)
}

func testFacadeMetrics(t *testing.T, n *node) {
	status, body := call(t, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/metrics", n.ports.Metrics), nil)
	if status != 200 {
		t.Fatalf("metrics: %d", status)
	}
	text := string(body)
	for _, series := range []string{
		"blockchain_blocks_total", "blockchain_transactions_total", "blockchain_consensus_rounds", "blockchain_network_peers",
		"blockchain_block_interval_seconds_count", "blockchain_mempool_size", "blockchain_tx_latency_seconds_count",
		`facade_http_requests_total{code="200",endpoint="get_head"}`, `facade_http_request_duration_seconds_count{endpoint="send_tx"}`,
		"facade_ws_clients", "facade_ws_messages_total",
		"cometbft_consensus_height", // CometBFT's own
		"go_goroutines", "process_resident_memory_bytes",
	} {
		if !strings.Contains(text, "\n"+series) {
			t.Errorf("metrics lack %s", series)
		}
	}
	var blocks float64
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "blockchain_blocks_total ") {
			if _, err := fmt.Sscan(strings.TrimPrefix(line, "blockchain_blocks_total "), &blocks); err != nil {
				t.Errorf("blockchain_blocks_total line %q: %v", line, err)
			}
		}
	}
	if blocks < 3 {
		t.Errorf("blockchain_blocks_total = %v", blocks)
	}
	if strings.Contains(text, "blockchain_transactions_total 0\n") {
		t.Error("blockchain_transactions_total stayed 0 after the send_tx test")
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("AITBC_REQUIRE_PROMETHEUS") != "" {
			t.Fatal("promtool not installed: run scripts/ci-deps.sh")
		}
		t.Log("promtool not installed; skipping the lint")
		return
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	// Exit 3 is lint findings; parse errors would be 1. CometBFT's own series
	// keep their upstream names (dashboards use them), which promtool lints;
	// every AITBC series must be clean.
	if err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
			t.Fatalf("promtool check metrics: %v\n%s", err, out)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "" && !strings.HasPrefix(line, "cometbft_") {
			t.Errorf("promtool: %s", line)
		}
	}
}

// testStandaloneFacade runs `aitbcd facade` against the node: the same
// answers, plus the limits that are easier to see on a small configuration.
func testStandaloneFacade(t *testing.T, n *node) {
	f := newNode(t, t.TempDir())
	f.start([]string{"RPC_PORT=" + itoa(int64(f.ports.REST))}, "facade", "--home", f.home,
		"--node", n.rpcAddr(), "--grpc", fmt.Sprintf("127.0.0.1:%d", n.ports.GRPC),
		"--ws-address", fmt.Sprintf("127.0.0.1:%d", f.ports.WS), "--metrics-address", fmt.Sprintf("127.0.0.1:%d", f.ports.Metrics),
		"--rate-limit", "1", "--rate-burst", "3", "--cors-allowed-origins", "https://explorer.example")
	base := f.facadeURL() // RPC_PORT put REST there
	waitHealthy(t, f, base)

	var h head
	getJSON(t, base+"/rpc/get_head", &h)
	if h.ChainID != testChainID {
		t.Fatalf("standalone get_head = %+v", h)
	}

	// CORS: the allowed origin gets the headers, another does not.
	status, _ := call(t, http.MethodOptions, base+"/rpc/get_head", nil, "Origin", "https://explorer.example", "Access-Control-Request-Method", "GET")
	if status != http.StatusNoContent {
		t.Fatalf("preflight from an allowed origin: %d", status)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/health", nil)
	req.Header.Set("Origin", "https://evil.example")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
		if resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatal("a disallowed origin got Access-Control-Allow-Origin")
		}
	}

	// Rate limit: 1/s with a burst of 3, so a quick run of requests hits 429.
	limited := false
	for i := 0; i < 8 && !limited; i++ {
		status, body := call(t, http.MethodGet, base+"/rpc/get_head", nil)
		if status == http.StatusTooManyRequests {
			wantError(t, status, body, 429, "rate limit")
			limited = true
		}
	}
	if !limited {
		t.Fatal("8 quick requests never hit the 1/s limit")
	}

	// A taken port stops the facade at once, naming the setting.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	out, err := exec.Command(aitbcdBin, "facade", "--home", t.TempDir(), "--node", n.rpcAddr(),
		"--rest-address", taken.Addr().String(), "--ws-address", "", "--metrics-address", "").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "rest-address") || !strings.Contains(string(out), "in use") {
		t.Fatalf("a facade on a taken port: %v\n%s", err, out)
	}

	// A facade whose node is down answers 503, not a hang or a crash.
	dead := freePorts(t)
	d := newNode(t, t.TempDir())
	d.start(nil, "facade", "--home", d.home, "--node", fmt.Sprintf("tcp://127.0.0.1:%d", dead.RPC), "--grpc", fmt.Sprintf("127.0.0.1:%d", dead.GRPC),
		"--rest-address", fmt.Sprintf("127.0.0.1:%d", d.ports.REST), "--ws-address", "", "--metrics-address", "")
	deadBase := d.facadeURL()
	waitListening(t, d, deadBase)
	runRESTCases(t, deadBase, []restCase{
		{name: "health with the node down", path: "/health", status: 503, wantMsg: "not reachable"},
		{name: "get_head with the node down", path: "/rpc/get_head", status: 503, wantMsg: "not reachable"},
		{name: "sync_status with the node down", path: "/sync_status", status: 503, wantMsg: "not reachable"},
		{name: "get_balance with the node down", path: "/rpc/get_balance/" + n.keyAddress("alice"), status: 503, wantMsg: "not reachable"},
	})
}

// testTLSFacade: with a certificate, REST is https and WebSocket is wss.
func testTLSFacade(t *testing.T, n *node) {
	certFile, keyFile, pool := selfSignedCert(t)
	f := newNode(t, t.TempDir())
	f.start(nil, "facade", "--home", f.home, "--node", n.rpcAddr(), "--grpc", fmt.Sprintf("127.0.0.1:%d", n.ports.GRPC),
		"--rest-address", fmt.Sprintf("127.0.0.1:%d", f.ports.REST), "--ws-address", fmt.Sprintf("127.0.0.1:%d", f.ports.WS),
		"--metrics-address", "", "--tls-cert-file", certFile, "--tls-key-file", keyFile)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	url := fmt.Sprintf("https://127.0.0.1:%d/health", f.ports.REST)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v\n%s", url, err, f.logTail())
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Plain HTTP to the TLS port gets nowhere.
	if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", f.ports.REST)); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("the TLS listener answered plain HTTP with 200")
		}
	}
	dialer := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool}, HandshakeTimeout: 10 * time.Second}
	conn, _, err := dialer.Dial(fmt.Sprintf("wss://127.0.0.1:%d/?topics=new_blocks", f.ports.WS), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		var m wsMessage
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("wss: %v", err)
		}
		if m.Topic == "new_blocks" {
			break
		}
	}
}

// selfSignedCert writes a certificate for 127.0.0.1 and returns its files
// and a pool that trusts it.
func selfSignedCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "aitbc-facade-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// testFacadeAcrossRestart: a standalone facade outlives its node's restart;
// its new_blocks subscribers see every block once, in order, across the gap
// (filled from the node once it is back), and REST answers 503 meanwhile.
func testFacadeAcrossRestart(t *testing.T, n *node) {
	f := newNode(t, t.TempDir())
	f.start(nil, "facade", "--home", f.home, "--node", n.rpcAddr(), "--grpc", fmt.Sprintf("127.0.0.1:%d", n.ports.GRPC),
		"--rest-address", fmt.Sprintf("127.0.0.1:%d", f.ports.REST), "--ws-address", fmt.Sprintf("127.0.0.1:%d", f.ports.WS),
		"--metrics-address", "")
	waitHealthy(t, f, f.facadeURL())
	sub := newWSClient(t, f.ports.WS, "topics=new_blocks")
	sub.waitFor(30*time.Second, "a block before the restart", func(m wsMessage) bool { return m.Type == "event" && m.Topic == "new_blocks" })

	if err := n.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("stopping the node: %v", err)
	}
	status, body := call(t, http.MethodGet, f.facadeURL()+"/health", nil)
	wantError(t, status, body, 503, "not reachable")
	stoppedAt := sub.blockHeights()

	n.start(nil, append([]string{"start", "--home", n.home}, n.startArgs()...)...)
	top := n.waitForHeight(stoppedAt[len(stoppedAt)-1]+3, 90*time.Second)
	sub.waitFor(60*time.Second, fmt.Sprintf("block %d after the restart", top), func(wsMessage) bool {
		hs := sub.blockHeights()
		return hs[len(hs)-1] >= top
	})
	if err := contiguous(sub.blockHeights()); err != nil {
		t.Fatalf("across the restart: %v (%v)", err, sub.blockHeights())
	}
	waitHealthy(t, f, f.facadeURL())
}

// waitHealthy waits for a facade's /health to answer 200.
func waitHealthy(t *testing.T, f *node, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("facade at %s not healthy within 30s\n%s", base, f.logTail())
}

// waitListening waits for a facade to answer at all.
func waitListening(t *testing.T, f *node, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/health"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("facade at %s not listening within 30s\n%s", base, f.logTail())
}
