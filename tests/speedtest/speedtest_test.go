// Package speedtest runs the SDK's execution-only speedtest
// (cosmos-sdk/tools/speedtest: InitChain, then FinalizeBlock and Commit of
// pre-signed bank sends, no CometBFT) over the AITBC app and over a stock
// baseline of SDK modules, side by side in one run, so their ratio is
// measured on the same machine under the same load.
//
//	make bench-speedtest
//	go test -run '^$' -bench Speedtest -benchtime 1x ./tests/speedtest/ -args -accounts 10000 -blocks 10
package speedtest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/server"
	serverconfig "github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	"github.com/cosmos/cosmos-sdk/tools/speedtest"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/aitbc/chain/app"
	"github.com/aitbc/chain/cmd/aitbcd/cmd"
)

var (
	accounts = flag.Int("accounts", 10_000, "accounts in genesis")
	txs      = flag.Int("txs", 2_000, "bank sends per block")
	blocks   = flag.Int("blocks", 20, "blocks to execute")
	// -set key=value overrides an app.toml key of the aitbc runs, for experiments.
	overrides = map[string]string{}
)

func init() {
	flag.Func("set", "app.toml key=value for the aitbc runs (repeatable)", func(kv string) error {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("-set %q: want key=value", kv)
		}
		overrides[k] = v
		return nil
	})
}

const chainID = "speedtest-1"

// generator makes genesis accounts and signed bank sends between them.
type generator struct {
	txConfig client.TxConfig
	rng      *rand.Rand
	accs     []*genAccount
}

type genAccount struct {
	priv     *secp256k1.PrivKey
	addr     sdk.AccAddress
	number   uint64
	sequence uint64
}

func (g *generator) createAccount() (*authtypes.BaseAccount, sdk.Coins) {
	priv := secp256k1.GenPrivKeyFromSecret([]byte(fmt.Sprintf("speedtest/%d", len(g.accs))))
	acc := &genAccount{priv: priv, addr: sdk.AccAddress(priv.PubKey().Address()), number: uint64(len(g.accs))}
	g.accs = append(g.accs, acc)
	return authtypes.NewBaseAccount(acc.addr, priv.PubKey(), acc.number, 0),
		sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1_000_000_000_000))
}

func (g *generator) generateTx() []byte {
	from := g.accs[g.rng.Intn(len(g.accs))]
	to := g.accs[g.rng.Intn(len(g.accs))]
	b := g.txConfig.NewTxBuilder()
	if err := b.SetMsgs(banktypes.NewMsgSend(from.addr, to.addr, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))); err != nil {
		panic(err)
	}
	// Every send pays a fee, as on the real chain: the fee collector is the
	// one balance all transactions of a block write.
	b.SetGasLimit(100_000)
	b.SetFeeAmount(sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 2_500)))
	mode := signing.SignMode_SIGN_MODE_DIRECT
	pub := from.priv.PubKey()
	if err := b.SetSignatures(signing.SignatureV2{PubKey: pub, Data: &signing.SingleSignatureData{SignMode: mode}, Sequence: from.sequence}); err != nil {
		panic(err)
	}
	data := authsigning.SignerData{Address: from.addr.String(), ChainID: chainID, AccountNumber: from.number,
		Sequence: from.sequence, PubKey: pub}
	sig, err := tx.SignWithPrivKey(context.Background(), mode, data, b, from.priv, g.txConfig, from.sequence)
	if err != nil {
		panic(err)
	}
	if err := b.SetSignatures(sig); err != nil {
		panic(err)
	}
	bz, err := g.txConfig.TxEncoder()(b.GetTx())
	if err != nil {
		panic(err)
	}
	from.sequence++
	return bz
}

var tpsLine = regexp.MustCompile(`TPS: ([0-9.]+)`)

// run executes the speedtest over one app and returns its TPS.
func run(b *testing.B, abciApp servertypes.ABCI, cdc codec.Codec, genesis map[string]json.RawMessage, txConfig client.TxConfig) float64 {
	g := &generator{txConfig: txConfig, rng: rand.New(rand.NewSource(1))}
	cmd := speedtest.NewCmd(g.createAccount, g.generateTx, abciApp, cdc, genesis, chainID)
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"--accounts", strconv.Itoa(*accounts), "--txs", strconv.Itoa(*txs),
		"--blocks", strconv.Itoa(*blocks), "--verify-txs"})
	b.StopTimer() // the speedtest times its own block execution
	if err := cmd.Execute(); err != nil {
		b.Fatalf("speedtest: %v\n%s", err, out.String())
	}
	m := tpsLine.FindStringSubmatch(out.String())
	if m == nil {
		b.Fatalf("no TPS in %q", out.String())
	}
	tps, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		b.Fatal(err)
	}
	return tps
}

func newDB(b *testing.B) dbm.DB {
	dir := b.TempDir()
	db, err := dbm.NewDB("app", dbm.PebbleDBBackend, dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// nodeOptions is what a node reads from an app.toml with cfg: both apps get
// their node's settings (IAVL cache, inter-block cache, fast nodes, executor).
func nodeOptions(cfg *serverconfig.Config, home string) simtestutil.AppOptionsMap {
	return simtestutil.AppOptionsMap{
		flags.FlagHome:                 home,
		flags.FlagChainID:              chainID,
		server.FlagPruning:             cfg.Pruning,
		server.FlagInterBlockCache:     cfg.InterBlockCache,
		server.FlagIAVLCacheSize:       cfg.IAVLCacheSize,
		server.FlagDisableIAVLFastNode: cfg.IAVLDisableFastNode,
		server.FlagMempoolMaxTxs:       cfg.Mempool.MaxTxs,
		server.FlagQueryGasLimit:       cfg.QueryGasLimit,
		server.FlagBlockExecutor:       cfg.BlockExecutor,
		server.FlagBlockSTMWorkers:     cfg.BlockSTMWorkers,
		server.FlagBlockSTMPreEstimate: cfg.BlockSTMPreEstimate,
	}
}

// BenchmarkSpeedtest reports each app's execution TPS (bank sends with
// signature verification, FinalizeBlock and Commit on PebbleDB) and, for the
// AITBC app, its ratio to the baseline measured just before it.
func BenchmarkSpeedtest(b *testing.B) {
	var baselineTPS float64
	b.Run("baseline", func(b *testing.B) {
		opts := nodeOptions(serverconfig.DefaultConfig(), b.TempDir())
		a := newBaselineApp(newDB(b), server.DefaultBaseappOptions(opts)...)
		enc := app.MakeEncodingConfig()
		baselineTPS = run(b, a, a.cdc, a.DefaultGenesis(), enc.TxConfig)
		b.ReportMetric(baselineTPS, "tx/s")
	})
	// aitbc is the app as the node runs it (app.DefaultBlockExecutor); the
	// sequential run shows what the executor alone contributes.
	for _, v := range []struct{ name, executor string }{{"aitbc", ""}, {"aitbc-sequential", serverconfig.BlockExecutorSequential}} {
		b.Run(v.name, func(b *testing.B) {
			cfg := cmd.DefaultServerConfig()
			if v.executor != "" {
				cfg.BlockExecutor = v.executor
			}
			opts := nodeOptions(cfg, b.TempDir())
			for k, v := range overrides {
				opts[k] = v
			}
			a := app.New(log.NewNopLogger(), newDB(b), true, opts, server.DefaultBaseappOptions(opts)...)
			tps := run(b, a, a.AppCodec(), a.DefaultGenesis(), a.TxConfig())
			b.ReportMetric(tps, "tx/s")
			if baselineTPS > 0 {
				b.ReportMetric(tps/baselineTPS, "x_baseline")
			}
		})
	}
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(m.Run())
}
