package indexer

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/gogoproto/proto"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aitbc/chain/app"
	computetypes "github.com/aitbc/chain/x/compute/types"
)

// typedEvent is an event exactly as the SDK's EmitTypedEvent emits it.
func typedEvent(t testing.TB, msg proto.Message) abci.Event {
	t.Helper()
	ev, err := sdk.TypedEventToEvent(msg)
	if err != nil {
		t.Fatal(err)
	}
	return abci.Event(ev)
}

func TestComputeProjection(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t, ComputeProjection{})
	accts := testAccounts(3)
	client, provider, other := accts[0].String(), accts[1].String(), accts[2].String()
	block := func(h int64, txEvents [][]abci.Event, blockEvents ...abci.Event) *Block {
		var txs [][]byte
		for range txEvents {
			txs = append(txs, sendTx(t, accts[0], accts[1], 1, ""))
		}
		rb, rr := rpcBlock(t, h, txs, txEvents, nil)
		rr.FinalizeBlockEvents = append(rr.FinalizeBlockEvents, blockEvents...)
		b, err := FromRPC(rb, rr, testDecoder, app.AccountAddressPrefix)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	blocks := []*Block{
		block(1, [][]abci.Event{
			{typedEvent(t, &computetypes.EventJobSubmitted{JobId: 1, Client: client, Model: "llama-3-8b", Escrow: "1000000uait", DeadlineHeight: 50})},
			{typedEvent(t, &computetypes.EventJobSubmitted{JobId: 2, Client: client, Model: "sdxl", Escrow: "500uait", DeadlineHeight: 9})},
			{typedEvent(t, &computetypes.EventJobSubmitted{JobId: 3, Client: other, Model: "sdxl", Escrow: "700uait", DeadlineHeight: 60})},
		}),
		block(2, [][]abci.Event{{typedEvent(t, &computetypes.EventJobAccepted{JobId: 1, Provider: provider, PricePerUnit: "10uait"})}}),
		block(3, [][]abci.Event{{typedEvent(t, &computetypes.EventReceiptSubmitted{JobId: 1, Provider: provider, ComputeUnits: 42, OutputHash: "ab12", SettleHeight: 5})}}),
		block(5, nil,
			typedEvent(t, &computetypes.EventJobSettled{JobId: 1, Provider: provider, ProviderPayment: "400uait", ProtocolFee: "20uait", ClientRefund: "999580uait"}),
			typedEvent(t, &computetypes.EventJobClosed{JobId: 2, State: computetypes.JobExpired, ClientRefund: "500uait"})),
	}
	if err := s.WriteBlocks(ctx, blocks[:3]); err != nil {
		t.Fatal(err)
	}
	if err := s.SkipTo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	// Block 5 twice: the same rows.
	for i := 0; i < 2; i++ {
		if err := s.WriteBlocks(ctx, blocks[3:]); err != nil {
			t.Fatal(err)
		}
	}

	jobs, err := s.JobsByClient(ctx, client, Page{})
	if err != nil {
		t.Fatal(err)
	}
	if jobs.Total != 2 || len(jobs.Jobs) != 2 || jobs.Jobs[0].JobID != 2 || jobs.Jobs[1].JobID != 1 {
		t.Fatalf("jobs of the client: %+v", jobs)
	}
	j1, j2 := jobs.Jobs[1], jobs.Jobs[0]
	if j1.Status != JobSettled || j1.Provider != provider || j1.PricePerUnit != "10uait" || j1.Model != "llama-3-8b" ||
		j1.Escrow != "1000000uait" || j1.DeadlineHeight != 50 || j1.SubmittedHeight != 1 || j1.EndedHeight != 5 || len(j1.SubmitTxHash) != 64 {
		t.Fatalf("job 1: %+v", j1)
	}
	if j2.Status != "JOB_STATE_EXPIRED" || j2.Provider != "" || j2.EndedHeight != 5 {
		t.Fatalf("job 2: %+v", j2)
	}
	byProvider, _ := s.JobsByProvider(ctx, provider, Page{})
	if byProvider.Total != 1 || byProvider.Jobs[0].JobID != 1 {
		t.Fatalf("jobs of the provider: %+v", byProvider)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM compute_receipts WHERE job_id = 1 AND compute_units = 42 AND output_hash = 'ab12'`); n != 1 {
		t.Fatalf("%d receipts of job 1", n)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM compute_settlements`); n != 2 {
		t.Fatalf("%d settlements, want 2", n)
	}
	// Typed events quote their addresses in JSON: the provider still counts as touched.
	if txs, _ := s.TxsByAddress(ctx, provider, Page{}); txs.Total < 2 {
		t.Fatalf("the provider's accept and receipt txs are not among its txs: %+v", txs)
	}

	// Rewinding to 3 undoes the receipt and the settlements; job 1 is accepted again.
	if err := s.Rewind(ctx, 3); err != nil {
		t.Fatal(err)
	}
	jobs, _ = s.JobsByClient(ctx, client, Page{Ascending: true})
	if jobs.Jobs[0].Status != JobAccepted || jobs.Jobs[0].EndedHeight != 0 || jobs.Jobs[1].Status != JobSubmitted {
		t.Fatalf("after rewind to 3: %+v", jobs.Jobs)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM compute_receipts`) + count(t, s, `SELECT COUNT(*) FROM compute_settlements`); n != 0 {
		t.Fatalf("%d receipts and settlements survived the rewind", n)
	}
	if err := s.Rewind(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM compute_jobs`); n != 0 {
		t.Fatalf("%d jobs survived a rewind to 1", n)
	}
}
