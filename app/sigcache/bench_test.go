package sigcache_test

import (
	"fmt"
	"math/rand"
	"testing"

	sdkmath "cosmossdk.io/math"

	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/app/apptesting"
	"github.com/aitbc/chain/app/sigcache"
)

// BenchmarkAnteCheckThenDeliver is what the ante handler costs a node per
// transaction it admits to its mempool and later executes in a block: one
// run as CheckTx and one as FinalizeBlock, without and with the cache.
//
//	go test -run '^$' -bench AnteCheckThenDeliver -count 5 ./app/sigcache/
func BenchmarkAnteCheckThenDeliver(b *testing.B) {
	for _, cached := range []bool{false, true} {
		b.Run(fmt.Sprintf("sigcache=%v", cached), func(b *testing.B) {
			c := apptesting.New(b, apptesting.Options{Accounts: 2})
			opts := c.App.AnteOptions()
			opts.SigCache = nil
			if cached {
				opts.SigCache = sigcache.New(sigcache.DefaultSize)
			}
			ante, err := app.NewAnteHandler(opts)
			if err != nil {
				b.Fatal(err)
			}
			// Distinct transactions (by memo), all valid at sequence 0, each
			// run on a fresh branch of the committed state.
			acc := c.App.AccountKeeper.GetAccount(c.Context(), c.Accounts[0].Addr)
			msg := banktypes.NewMsgSend(c.Accounts[0].Addr, c.Accounts[1].Addr, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
			fee := sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(5000)))
			txs := make([]sdk.Tx, b.N)
			for i := range txs {
				tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(int64(i))), c.App.TxConfig(), []sdk.Msg{msg}, fee,
					200_000, apptesting.ChainID, []uint64{acc.GetAccountNumber()}, []uint64{0}, c.Accounts[0].Key)
				if err != nil {
					b.Fatal(err)
				}
				txs[i] = tx
			}
			base := c.Context()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				checkCtx, _ := base.WithIsCheckTx(true).CacheContext()
				if _, err := ante(checkCtx, txs[i], false); err != nil {
					b.Fatal(err)
				}
				deliverCtx, _ := base.CacheContext()
				if _, err := ante(deliverCtx, txs[i], false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
