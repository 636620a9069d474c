package keeper_test

import (
	"testing"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aitbc/chain/x/compute/types"
)

// Per-message execution cost of the market's hot path next to a bank send,
// run through the real message servers on the app's stores. Reported: time
// per message and gas per message (gas is deterministic; time is this machine's).
//
//	go test -run '^$' -bench . -benchtime 2000x -count 5 ./x/compute/keeper/

func benchEnv(b *testing.B) *env {
	e := newEnv(b)
	must(b, e.register(e.provider(), workerKey("w"), "m"))
	return e
}

// measure runs op b.N times, each on a fresh gas meter, and reports gas/op.
func measure(b *testing.B, e *env, op func(ctx sdk.Context, i int) error) {
	b.Helper()
	var gas uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx := e.ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
		if err := op(ctx, i); err != nil {
			b.Fatal(err)
		}
		gas += ctx.GasMeter().GasConsumed()
	}
	b.ReportMetric(float64(gas)/float64(b.N), "gas/op")
}

func BenchmarkBankSend(b *testing.B) {
	e := benchEnv(b)
	srv := bankkeeper.NewMsgServerImpl(e.c.App.BankKeeper)
	msg := banktypes.NewMsgSend(e.c.Accounts[0].Addr, e.c.Accounts[2].Addr, sdk.NewCoins(sdk.NewInt64Coin(denom, 1)))
	measure(b, e, func(ctx sdk.Context, _ int) error { _, err := srv.Send(ctx, msg); return err })
}

func BenchmarkSubmitJob(b *testing.B) {
	e := benchEnv(b)
	measure(b, e, func(ctx sdk.Context, _ int) error {
		_, err := e.srv.SubmitJob(ctx, &types.MsgSubmitJob{
			Client: e.client(), JobType: "inference", Model: "m", InputHash: hash("in"),
			MaxUnits: 10, MaxPricePerUnit: price, DeadlineBlocks: 1000,
		})
		return err
	})
}

// openJobs submits n jobs outside the timer and returns their ids.
func openJobs(b *testing.B, e *env, n int) []uint64 {
	ids := make([]uint64, n)
	for i := range ids {
		id, err := e.submit("m", 10, 1_000, 1000)
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

func BenchmarkAcceptJob(b *testing.B) {
	e := benchEnv(b)
	ids := openJobs(b, e, b.N)
	measure(b, e, func(ctx sdk.Context, i int) error {
		_, err := e.srv.AcceptJob(ctx, &types.MsgAcceptJob{Provider: e.provider(), JobId: ids[i]})
		return err
	})
}

func BenchmarkSubmitReceipt(b *testing.B) {
	e := benchEnv(b)
	ids := openJobs(b, e, b.N)
	receipts := make([]*types.MsgSubmitReceipt, b.N)
	for i, id := range ids {
		if _, err := e.srv.AcceptJob(e.ctx, &types.MsgAcceptJob{Provider: e.provider(), JobId: id}); err != nil {
			b.Fatal(err)
		}
		receipts[i] = e.receipt(e.provider(), workerKey("w"), id, 5)
	}
	measure(b, e, func(ctx sdk.Context, i int) error {
		_, err := e.srv.SubmitReceipt(ctx, receipts[i])
		return err
	})
}
