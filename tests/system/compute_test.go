package system

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

type jobView struct {
	State    string `json:"state"`
	Provider string `json:"provider"`
	Price    string `json:"price_per_unit"`
}

func (n *node) job(id int) jobView {
	n.t.Helper()
	var res struct {
		Job jobView `json:"job"`
	}
	if err := json.Unmarshal([]byte(n.mustCLI("query", "compute", "job", strconv.Itoa(id), "--output", "json")), &res); err != nil {
		n.t.Fatal(err)
	}
	return res.Job
}

func (n *node) waitForJobState(id int, state string, within time.Duration) {
	n.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if n.job(id).State == state {
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	n.t.Fatalf("job %d not %s within %s: %+v", id, state, within, n.job(id))
}

func sha256Hex(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// TestComputeLifecycle walks the AI-workload market through the CLI: a
// provider registers, a job is submitted, accepted, delivered with a receipt
// signed by the provider's worker key, and settles after the dispute window;
// then a job times out and is refunded while the provider is slashed.
// Every balance is checked to the uait.
func TestComputeLifecycle(t *testing.T) {
	t.Parallel() // its own network; runs beside the others
	n := initChain(t)
	n.mustCLI("keys", "add", "worker")
	n.modifyGenesis(withComputeParams(marketTestParams))
	n.start(nil, append([]string{"start", "--home", n.home}, n.startArgs()...)...)
	n.waitForHeight(2, 90*time.Second)

	alice, bob := n.keyAddress("alice"), n.keyAddress("bob")
	feeAmount := mustInt(t, strings.TrimSuffix(txFee, denom))
	aliceStart, bobStart := n.balanceCLI(alice), n.balanceCLI(bob)
	workerKey := strings.TrimSpace(n.mustCLI("keys", "show", "worker", "--pubkey"))

	n.tx("bob", "compute", "register-provider", workerKey, "1000", "200000000", "llama-3-8b", "sdxl",
		"--endpoint", "https://gpu.example/v1", "--hardware", `{"gpu_model":"A100","gpu_count":8,"memory_gb":80}`)
	n.tx("alice", "compute", "submit-job", "inference", "llama-3-8b", sha256Hex("prompt"), "100", "1500", "50")
	if job := n.job(1); job.State != "JOB_STATE_OPEN" {
		t.Fatalf("submitted job is %s", job.State)
	}
	n.tx("bob", "compute", "accept-job", "1")
	job := n.job(1)
	if job.State != "JOB_STATE_ASSIGNED" || job.Provider != bob || job.Price != "1000" {
		t.Fatalf("accepted job %+v", job)
	}

	// The worker signs off-chain; the provider account submits.
	output := sha256Hex("completion")
	sig := strings.TrimSpace(n.mustCLI("tx", "compute", "sign-receipt", "1", output, "60", job.Price,
		"--from", "worker"))
	t.Run("a receipt signed by another key is rejected", func(t *testing.T) {
		forged := strings.TrimSpace(n.mustCLI("tx", "compute", "sign-receipt", "1", output, "60", job.Price,
			"--from", "alice"))
		res := n.mustBroadcast("bob", "compute", "submit-receipt", "1", output, "60", forged)
		included := n.waitForTx(res.TxHash, 30*time.Second)
		if included.Code == 0 || !strings.Contains(included.Log, "signature") {
			t.Fatalf("forged receipt: code %d: %s", included.Code, included.Log)
		}
	})
	n.tx("bob", "compute", "submit-receipt", "1", output, "60", sig)
	n.waitForJobState(1, "JOB_STATE_SETTLED", 60*time.Second)

	// 60 units × 1,000 = 60,000 paid; 2% fee = 1,200; the provider nets 58,800;
	// alice gets back 150,000 − 60,000 of her escrow.
	bobTxs := int64(4) // register, accept, forged receipt (charged even though it failed), receipt
	wantAlice := aliceStart.Sub(feeAmount).SubRaw(60_000)
	wantBob := bobStart.Sub(feeAmount.MulRaw(bobTxs)).SubRaw(200_000_000).AddRaw(58_800)
	if got := n.balanceCLI(alice); !got.Equal(wantAlice) {
		t.Errorf("alice %s, want %s", got, wantAlice)
	}
	if got := n.balanceCLI(bob); !got.Equal(wantBob) {
		t.Errorf("bob %s, want %s", got, wantBob)
	}

	// Time-out: accepted, never delivered. Full refund, 5% of the bond burned.
	n.tx("alice", "compute", "submit-job", "inference", "llama-3-8b", sha256Hex("prompt-2"), "10", "1000", "3")
	n.tx("bob", "compute", "accept-job", "2")
	n.waitForJobState(2, "JOB_STATE_EXPIRED", 60*time.Second)
	if got := n.balanceCLI(alice); !got.Equal(wantAlice.Sub(feeAmount)) {
		t.Errorf("after the time-out alice %s, want %s (escrow refunded in full)", got, wantAlice.Sub(feeAmount))
	}
	var provider struct {
		Provider struct {
			Bond       string `json:"bond"`
			ActiveJobs string `json:"active_jobs"`
		} `json:"provider"`
	}
	if err := json.Unmarshal([]byte(n.mustCLI("query", "compute", "provider", bob, "--output", "json")), &provider); err != nil {
		t.Fatal(err)
	}
	if provider.Provider.Bond != "190000000" {
		t.Errorf("bond after the time-out %s, want 190000000 (5%% slashed)", provider.Provider.Bond)
	}
	var totals struct {
		JobEscrow     string `json:"job_escrow"`
		ProviderBonds string `json:"provider_bonds"`
	}
	if err := json.Unmarshal([]byte(n.mustCLI("query", "compute", "escrow-totals", "--output", "json")), &totals); err != nil {
		t.Fatal(err)
	}
	if totals.JobEscrow != "0" || totals.ProviderBonds != "190000000" {
		t.Errorf("escrow totals %+v, want no escrow and 190000000 in bonds", totals)
	}
	n.checkComputeIndex(alice, bob)
}
