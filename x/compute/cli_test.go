package compute_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"

	"github.com/aitbc/chain/app/apptesting"
	"github.com/aitbc/chain/x/compute/types"
)

// TestQueryJobsStateFlag runs `query compute jobs` as aitbcd builds it
// (AutoCLI over the app's modules) against a chain with one open job:
// --state takes the full name the docs use and the short one.
func TestQueryJobsStateFlag(t *testing.T) {
	c := apptesting.New(t, apptesting.Options{})
	h := sha256.Sum256([]byte("input"))
	res := c.NextBlock(signedTx(t, c, &types.MsgSubmitJob{
		Client: c.Accounts[0].Addr.String(), JobType: "inference", Model: "llama-3-8b", InputHash: hex.EncodeToString(h[:]),
		MaxUnits: 10, MaxPricePerUnit: sdkmath.NewInt(1000), DeadlineBlocks: 50,
	}))
	if res.TxResults[0].Code != 0 {
		t.Fatalf("submit-job: %s", res.TxResults[0].Log)
	}
	clientCtx := c.GRPCClient()

	run := func(args ...string) (string, error) {
		root := &cobra.Command{Use: "aitbcd"}
		opts := c.App.AutoCliOpts()
		opts.ClientCtx = clientCtx
		if err := opts.EnhanceRootCommand(root); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(append([]string{"query", "compute"}, args...))
		err := root.ExecuteContext(context.WithValue(context.Background(), client.ClientContextKey, &clientCtx))
		return out.String(), err
	}
	jobs := func(args ...string) []string {
		t.Helper()
		out, err := run(append([]string{"jobs", "--output", "json"}, args...)...)
		if err != nil {
			t.Fatalf("jobs %v: %v\n%s", args, err, out)
		}
		var page struct {
			Jobs []struct {
				ID    string `json:"id"`
				State string `json:"state"`
			} `json:"jobs"`
		}
		if err := json.Unmarshal([]byte(out), &page); err != nil {
			t.Fatalf("jobs %v: %v\n%s", args, err, out)
		}
		var states []string
		for _, j := range page.Jobs {
			states = append(states, j.ID+":"+j.State)
		}
		return states
	}
	for _, state := range []string{"JOB_STATE_OPEN", "open", "OPEN", "job_state_open"} {
		if got := jobs("--state", state); len(got) != 1 || got[0] != "1:JOB_STATE_OPEN" {
			t.Errorf("--state %s: %v, want the open job", state, got)
		}
	}
	for _, state := range []string{"JOB_STATE_SETTLED", "settled"} {
		if got := jobs("--state", state); len(got) != 0 {
			t.Errorf("--state %s: %v, want none", state, got)
		}
	}
	if got := jobs(); len(got) != 1 {
		t.Errorf("no filter: %v", got)
	}
	out, err := run("jobs", "--state", "JOB_STATE_NONSENSE")
	if err == nil || !strings.Contains(err.Error()+out, `unknown job state "JOB_STATE_NONSENSE"`) {
		t.Errorf("bad state: %v\n%s", err, out)
	}
	// The commands AutoCLI generates are still there beside jobs.
	if out, err := run("job", "1", "--output", "json"); err != nil || !strings.Contains(out, "JOB_STATE_OPEN") {
		t.Errorf("query compute job 1: %v\n%s", err, out)
	}
}
