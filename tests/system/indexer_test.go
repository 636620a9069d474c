package system

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aitbc/chain/indexer"
)

// sentTx is a transfer the test made, to be found in the SQL index.
type sentTx struct {
	hash, from, to, memo string
}

// sendAndWait sends amount from a key to an address with a memo and waits for inclusion.
func (n *node) sendAndWait(fromKey, fromAddr, to, memo string) sentTx {
	n.t.Helper()
	res, err := n.send(fromKey, to, "1000"+denom, "--note", memo)
	if err != nil {
		n.t.Fatal(err)
	}
	tx := n.awaitTxCommitted(res, 60*time.Second)
	// CometBFT indexes a tx before the app commits its block: wait for the
	// next block so that the sender's next sequence is visible to queries.
	n.waitForHeight(tx.Height+1, 30*time.Second)
	return sentTx{hash: res.TxHash, from: fromAddr, to: to, memo: memo}
}

// openIndex opens an index database the way the node does (migrations are
// then already applied, so this only reads).
func openIndex(t testing.TB, target indexer.Target) *indexer.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := indexer.Open(ctx, target)
	if err != nil {
		t.Fatalf("opening the index %s: %v", target, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// waitForIndex polls the index cursor until it reaches height h.
func (n *node) waitForIndex(s *indexer.Store, h int64, within time.Duration) {
	n.t.Helper()
	deadline := time.Now().Add(within)
	var (
		cursor int64
		err    error
	)
	for time.Now().Before(deadline) {
		cursor, err = s.Cursor(context.Background())
		if err == nil && cursor >= h {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	n.t.Fatalf("index cursor %d (%v) did not reach height %d within %s\n%s", cursor, err, h, within, n.logTail())
}

// checkIndex verifies that heights 1..upTo are each indexed exactly once
// with the hash and transaction count CometBFT reports, that the index holds
// exactly the chain's transactions there, and that every sent transfer is
// stored with the right fields and found by both of its accounts.
func (n *node) checkIndex(s *indexer.Store, upTo int64, sent []sentTx) {
	t := n.t
	t.Helper()
	ctx := context.Background()
	db := s.DB()
	var rows, distinct, lo, hi int64
	if err := db.QueryRow(s.Rebind(`SELECT COUNT(*), COUNT(DISTINCT height), MIN(height), MAX(height) FROM blocks WHERE height <= ?`), upTo).
		Scan(&rows, &distinct, &lo, &hi); err != nil {
		t.Fatal(err)
	}
	if rows != upTo || distinct != upTo || lo != 1 || hi != upTo {
		t.Fatalf("blocks 1..%d: %d rows, %d distinct heights, range %d..%d; want each height exactly once", upTo, rows, distinct, lo, hi)
	}
	chainTxs := 0
	for h := int64(1); h <= upTo; h++ {
		res := n.block(h)
		b, err := s.BlockAt(ctx, h)
		if err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		if b.Hash != res.BlockID.Hash.String() || b.NumTxs != len(res.Block.Txs) || b.ChainID != n.chainID {
			t.Fatalf("block %d indexed as %+v; CometBFT has hash %s and %d txs", h, b, res.BlockID.Hash, len(res.Block.Txs))
		}
		chainTxs += len(res.Block.Txs)
	}
	var indexedTxs, txRows int64
	if err := db.QueryRow(s.Rebind(`SELECT COUNT(DISTINCT hash), COUNT(*) FROM txs WHERE height <= ?`), upTo).Scan(&indexedTxs, &txRows); err != nil {
		t.Fatal(err)
	}
	if indexedTxs != int64(chainTxs) || txRows != int64(chainTxs) {
		t.Fatalf("the chain has %d txs up to height %d; the index has %d rows of %d distinct hashes", chainTxs, upTo, txRows, indexedTxs)
	}
	for _, st := range sent {
		res, err := n.cometTx(st.hash)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.TxByHash(ctx, st.hash)
		if err != nil {
			t.Fatalf("tx %s: %v", st.hash, err)
		}
		want := fmt.Sprintf("height %d index %d code %d gas %d/%d fee %s payer %s memo %q signers [%s] msgs [/cosmos.bank.v1beta1.MsgSend]",
			res.Height, res.Index, res.TxResult.Code, res.TxResult.GasUsed, res.TxResult.GasWanted, txFee, st.from, st.memo, st.from)
		have := fmt.Sprintf("height %d index %d code %d gas %d/%d fee %s payer %s memo %q signers %v msgs %v",
			got.Height, got.Index, got.Code, got.GasUsed, got.GasWanted, got.Fee, got.FeePayer, got.Memo, got.Signers, got.MsgTypes)
		if have != want {
			t.Fatalf("tx %s in the index:\n have %s\n want %s", st.hash, have, want)
		}
		for _, addr := range []string{st.from, st.to} {
			if !n.indexHasTxOf(s, addr, st.hash) {
				t.Fatalf("tx %s is not among the indexed txs of %s", st.hash, addr)
			}
		}
		evs, err := s.EventsOf(ctx, got.Height, got.Index)
		if err != nil {
			t.Fatal(err)
		}
		if !hasAttr(evs, "transfer", "recipient", st.to) {
			t.Fatalf("tx %s: no transfer event to %s among %d indexed events", st.hash, st.to, len(evs))
		}
	}
}

func (n *node) indexHasTxOf(s *indexer.Store, addr, hash string) bool {
	n.t.Helper()
	for offset := 0; ; offset += 2 {
		// Pages of two walk the pagination too.
		page, err := s.TxsByAddress(context.Background(), addr, indexer.Page{Limit: 2, Offset: offset})
		if err != nil {
			n.t.Fatal(err)
		}
		for _, tx := range page.Txs {
			if tx.Hash == hash {
				return true
			}
		}
		if len(page.Txs) < 2 {
			return false
		}
	}
}

func hasAttr(evs []indexer.EventRecord, typ, key, value string) bool {
	for _, ev := range evs {
		if ev.Type != typ {
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key == key && a.Value == value {
				return true
			}
		}
	}
	return false
}

// TestIndexerSQLite: the default index (SQLite in the data directory) holds
// every block and transfer; a kill -9 mid-way loses or duplicates nothing;
// `index run` against the node's RPC builds the same index on its own, and
// `index rebuild --from` re-indexes in place.
func TestIndexerSQLite(t *testing.T) {
	t.Parallel() // its own network; runs beside the others
	n := initChain(t)
	env := []string{"DATABASE_URL="}
	startArgs := append([]string{"start", "--home", n.home}, n.startArgs()...)
	n.start(env, startArgs...)
	n.waitForHeight(3, 90*time.Second)
	alice, bob := n.keyAddress("alice"), n.keyAddress("bob")

	var sent []sentTx
	for i := 0; i < 3; i++ {
		sent = append(sent, n.sendAndWait("alice", alice, bob, fmt.Sprintf("sqlite-%d", i)))
	}
	// kill -9 while the indexer follows the chain.
	h := n.killAndRestart(env, startArgs)
	for i := 3; i < 5; i++ {
		sent = append(sent, n.sendAndWait("bob", bob, alice, fmt.Sprintf("sqlite-%d", i)))
	}
	tip := n.waitForHeight(h+2, 60*time.Second)

	target := indexer.Target{Dialect: indexer.SQLite, Path: filepath.Join(n.home, "data", indexer.DefaultSQLiteFile)}
	s := openIndex(t, target)
	n.waitForIndex(s, tip, 60*time.Second)
	n.checkIndex(s, tip, sent)
	checkFacadeHistory(t, n, bob, sent)

	t.Run("index run on its own", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "standalone.db")
		run := n.runIndexer(t, "sqlite://"+other)
		defer run.stop()
		s2 := openIndex(t, indexer.Target{Dialect: indexer.SQLite, Path: other})
		n.waitForIndex(s2, tip, 60*time.Second)
		n.checkIndex(s2, tip, sent)
	})

	t.Run("index rebuild", func(t *testing.T) {
		out := n.mustCLI("index", "rebuild", "--from", "2", "--node", n.rpcAddr())
		if !strings.Contains(out, "re-indexed heights 2 to") {
			t.Fatalf("rebuild output: %s", out)
		}
		now, _ := n.height()
		n.waitForIndex(s, now, 60*time.Second)
		n.checkIndex(s, now, sent)
	})
}

// checkFacadeHistory reads an address's transactions through the node's
// facade, which serves the index the node writes: every send the address
// made or received is listed, newest first, and paging and bad input answer
// as documented.
func checkFacadeHistory(t *testing.T, n *node, addr string, sent []sentTx) {
	t.Helper()
	type page struct {
		Txs []struct {
			Height int64  `json:"height"`
			Hash   string `json:"hash"`
			Memo   string `json:"memo"`
		} `json:"txs"`
		Total int64 `json:"total"`
	}
	var all page
	getJSON(t, n.facadeURL()+"/rpc/get_txs/"+addr+"?limit=500", &all)
	listed := map[string]string{}
	for i, tx := range all.Txs {
		listed[strings.ToUpper(tx.Hash)] = tx.Memo
		if i > 0 && tx.Height > all.Txs[i-1].Height {
			t.Fatalf("get_txs/%s not newest first: height %d after %d", addr, tx.Height, all.Txs[i-1].Height)
		}
	}
	for _, tx := range sent {
		if tx.from != addr && tx.to != addr {
			continue
		}
		if memo, ok := listed[strings.ToUpper(tx.hash)]; !ok || memo != tx.memo {
			t.Fatalf("get_txs/%s does not list send %s (%s): %+v", addr, tx.hash, tx.memo, all)
		}
	}
	if all.Total != int64(len(all.Txs)) {
		t.Fatalf("get_txs/%s: total %d, %d listed", addr, all.Total, len(all.Txs))
	}
	var first page
	getJSON(t, n.facadeURL()+"/rpc/get_txs/"+addr+"?limit=2&offset=1", &first)
	if len(first.Txs) != 2 || first.Total != all.Total || first.Txs[0].Hash != all.Txs[1].Hash {
		t.Fatalf("get_txs/%s?limit=2&offset=1 = %+v, want entries 2 and 3 of %+v", addr, first, all)
	}
	status, body := call(t, http.MethodGet, n.facadeURL()+"/rpc/get_txs/"+addr+"?offset=-1", nil)
	wantError(t, status, body, http.StatusBadRequest, "invalid offset")
}

// killAndRestart kills the node with SIGKILL, starts it again and waits
// until it has committed two blocks past where it was; it returns that height.
func (n *node) killAndRestart(env, startArgs []string) int64 {
	n.t.Helper()
	last, err := n.height()
	if err != nil {
		n.t.Fatal(err)
	}
	_ = n.stop(syscall.SIGKILL)
	n.start(env, startArgs...)
	return n.waitForHeight(last+2, 90*time.Second)
}

// indexRun is a background `aitbcd index run`.
type indexRun struct {
	cmd  *exec.Cmd
	done chan error
}

func (n *node) runIndexer(t *testing.T, dbURL string) *indexRun {
	t.Helper()
	cmd := exec.Command(aitbcdBin, "index", "run", "--home", n.home, "--node", n.rpcAddr(), "--database-url", dbURL)
	logFile, err := os.Create(filepath.Join(t.TempDir(), "index-run.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &indexRun{cmd: cmd, done: make(chan error, 1)}
	go func() { r.done <- cmd.Wait(); logFile.Close() }()
	t.Cleanup(r.stop)
	return r
}

func (r *indexRun) stop() {
	if r.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM)
	var exit error
	select {
	case exit = <-r.done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		exit = <-r.done
	}
	_ = exit // not checked: an indexer stopped by a signal exits non-zero by design
	r.cmd.Process = nil
}

// postgres is a throw-away PostgreSQL server from scripts/postgres-test.sh.
type postgres struct {
	t         testing.TB
	dir, url  string
	scriptBin string
}

func startPostgres(t testing.TB) *postgres {
	t.Helper()
	script, _ := filepath.Abs("../../scripts/postgres-test.sh")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(script, "start", fmt.Sprint(port))
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	pg := &postgres{t: t, scriptBin: script}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PGDIR="); ok {
			pg.dir = v
		}
		if v, ok := strings.CutPrefix(sc.Text(), "DATABASE_URL="); ok {
			pg.url = v
		}
	}
	if pg.dir != "" {
		t.Cleanup(func() { pg.run("destroy") })
	}
	if err != nil || pg.url == "" {
		t.Fatalf("starting PostgreSQL: %v\n%s%s", err, out, stderr.String())
	}
	return pg
}

func (pg *postgres) run(action string) {
	pg.t.Helper()
	if out, err := exec.Command(pg.scriptBin, action, pg.dir).CombinedOutput(); err != nil {
		pg.t.Errorf("postgres-test.sh %s: %v\n%s", action, err, out)
	}
}

// TestIndexerPostgres: DATABASE_URL=postgresql://… indexes into a real
// server; a kill -9 of the node and an outage of the database mid-way leave
// the index complete, with every block once, after both come back. The chain
// keeps producing blocks while the database is down.
func TestIndexerPostgres(t *testing.T) {
	pg := startPostgres(t)
	n := initChain(t)
	env := []string{"DATABASE_URL=" + pg.url}
	startArgs := append([]string{"start", "--home", n.home}, n.startArgs()...)
	n.start(env, startArgs...)
	n.waitForHeight(3, 90*time.Second)
	alice, bob := n.keyAddress("alice"), n.keyAddress("bob")
	target, err := indexer.ParseDatabaseURL(pg.url, "")
	if err != nil {
		t.Fatal(err)
	}

	sent := []sentTx{n.sendAndWait("alice", alice, bob, "pg-0"), n.sendAndWait("alice", alice, bob, "pg-1")}
	n.killAndRestart(env, startArgs)
	sent = append(sent, n.sendAndWait("bob", bob, alice, "pg-2"))

	// The outage: the database stops, the chain goes on, transfers still land.
	pg.run("stop")
	down, _ := n.height()
	sent = append(sent, n.sendAndWait("alice", alice, bob, "pg-during-outage"))
	n.waitForHeight(down+5, 60*time.Second)
	pg.run("resume")

	sent = append(sent, n.sendAndWait("bob", bob, alice, "pg-after-outage"))
	tip, _ := n.height()
	s := openIndex(t, target)
	n.waitForIndex(s, tip, 90*time.Second)
	n.checkIndex(s, tip, sent)
	if s.Dialect() != indexer.Postgres {
		t.Fatalf("checked a %s index, want PostgreSQL", s.Dialect())
	}
	// The facade's history endpoint reads the same PostgreSQL index.
	checkFacadeHistory(t, n, bob, sent)
	// The indexer saw the outage (it did not merely miss it) and got over it.
	nodeLog, _ := os.ReadFile(filepath.Join(n.home, "node.log"))
	if !bytes.Contains(nodeLog, []byte("indexer: will retry")) || !bytes.Contains(nodeLog, []byte("indexer: recovered")) {
		t.Fatal("the node log shows no indexer retry and recovery around the database outage")
	}
}

// TestIndexerBadDatabaseURL: a DATABASE_URL (or app.toml setting) that is
// not a usable database fails start-up with a message naming the setting.
func TestIndexerBadDatabaseURL(t *testing.T) {
	t.Parallel() // its own network; runs beside the others
	n := initChain(t)
	startArgs := append([]string{"start", "--home", n.home}, n.startArgs()...)
	run := func(env []string, args []string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, aitbcdBin, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, bad := range []string{
		"mysql://root@127.0.0.1/aitbc",
		"sqlite://relative/index.db",
		"sqlite:///",
		"postgresql://aitbc:hunter2@127.0.0.1:notaport/aitbc",
		"index.db",
	} {
		out, err := run([]string{"DATABASE_URL=" + bad}, startArgs)
		if err == nil {
			t.Errorf("DATABASE_URL=%s: start succeeded, want a failure", bad)
			continue
		}
		if !strings.Contains(out, "DATABASE_URL") || strings.Contains(out, "hunter2") {
			t.Errorf("DATABASE_URL=%s: the error must name DATABASE_URL and hide the password:\n%s", bad, lastLines(out, 5))
		}
	}
	// A SQLite file that cannot be created is refused at start-up too.
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run([]string{"DATABASE_URL=sqlite://" + blocker + "/sub/index.db"}, startArgs)
	if err == nil || !strings.Contains(out, "indexer database") {
		t.Errorf("an uncreatable SQLite path: err %v, output:\n%s", err, lastLines(out, 5))
	}
	// The same check applies to app.toml's indexer.database-url.
	out, err = run([]string{"DATABASE_URL=", "AITBCD_INDEXER_DATABASE_URL=oracle://x"}, startArgs)
	if err == nil || !strings.Contains(out, "AITBCD_INDEXER_DATABASE_URL") {
		t.Errorf("a bad indexer.database-url: err %v, output:\n%s", err, lastLines(out, 5))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// checkComputeIndex checks TestComputeLifecycle's two jobs in the node's SQL
// index: job 1 settled by the provider (60 units, 58,800 uait net), job 2
// expired, each found by its client and by its provider.
func (n *node) checkComputeIndex(client, provider string) {
	t := n.t
	t.Helper()
	ctx := context.Background()
	s := openIndex(t, indexer.Target{Dialect: indexer.SQLite, Path: filepath.Join(n.home, "data", indexer.DefaultSQLiteFile)})
	h, err := n.height()
	if err != nil {
		t.Fatal(err)
	}
	n.waitForIndex(s, h, 60*time.Second)
	jobs, err := s.JobsByClient(ctx, client, indexer.Page{Ascending: true})
	if err != nil {
		t.Fatal(err)
	}
	if jobs.Total != 2 || len(jobs.Jobs) != 2 {
		t.Fatalf("indexed jobs of %s: %+v, want jobs 1 and 2", client, jobs)
	}
	j1, j2 := jobs.Jobs[0], jobs.Jobs[1]
	if j1.JobID != 1 || j1.Status != indexer.JobSettled || j1.Provider != provider || j1.Model != "llama-3-8b" || j1.PricePerUnit != "1000" {
		t.Errorf("indexed job 1: %+v", j1)
	}
	if j2.JobID != 2 || j2.Status != "JOB_STATE_EXPIRED" || j2.Provider != provider {
		t.Errorf("indexed job 2: %+v", j2)
	}
	if byProvider, err := s.JobsByProvider(ctx, provider, indexer.Page{}); err != nil || byProvider.Total != 2 {
		t.Errorf("indexed jobs of provider %s: %+v %v", provider, byProvider, err)
	}
	var units int64
	var payment string
	if err := s.DB().QueryRow(`SELECT r.compute_units, st.provider_payment FROM compute_receipts r
		JOIN compute_settlements st ON st.job_id = r.job_id WHERE r.job_id = 1`).Scan(&units, &payment); err != nil {
		t.Fatalf("receipt and settlement of job 1: %v", err)
	}
	if units != 60 || payment != "58800" {
		t.Errorf("job 1 indexed with %d units and %s paid, want 60 and 58800", units, payment)
	}
}
