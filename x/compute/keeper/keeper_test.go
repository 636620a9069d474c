package keeper_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	sdkmath "cosmossdk.io/math"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/aitbc/chain/app/apptesting"
	"github.com/aitbc/chain/x/compute/keeper"
	"github.com/aitbc/chain/x/compute/types"
)

const denom = "uait"

var govAddr = authtypes.NewModuleAddress(govtypes.ModuleName).String()

// env is a chain with the market's params set for tests: a 5-block dispute
// window, a 10-block bond unbonding, 2% fee and 5% slash.
type env struct {
	t      testing.TB
	c      *apptesting.Chain
	ctx    sdk.Context
	k      keeper.Keeper
	srv    types.MsgServer
	supply sdkmath.Int // expected total supply: changes only by minting and slashing
}

func newEnv(t testing.TB) *env {
	t.Helper()
	c := apptesting.New(t, apptesting.Options{})
	e := &env{t: t, c: c, ctx: c.Context(), k: c.App.ComputeKeeper, srv: keeper.NewMsgServerImpl(c.App.ComputeKeeper)}
	params := types.DefaultParams()
	params.DisputeWindowBlocks = 5
	params.ProviderUnbondingBlocks = 10
	e.setParams(params)
	e.supply = e.c.App.BankKeeper.GetSupply(e.ctx, denom).Amount
	return e
}

func (e *env) setParams(p types.Params) {
	e.t.Helper()
	if _, err := e.srv.UpdateParams(e.ctx, &types.MsgUpdateParams{Authority: govAddr, Params: p}); err != nil {
		e.t.Fatal(err)
	}
}

// check asserts the module invariants and that no coins appeared or vanished
// beyond what the test expects.
func (e *env) check() {
	e.t.Helper()
	if err := e.k.CheckInvariants(e.ctx); err != nil {
		e.t.Fatalf("invariant broken: %v", err)
	}
	if got := e.c.App.BankKeeper.GetSupply(e.ctx, denom).Amount; !got.Equal(e.supply) {
		e.t.Fatalf("total supply %s, want %s", got, e.supply)
	}
}

func (e *env) balance(addr string) sdkmath.Int {
	return e.c.App.BankKeeper.GetBalance(e.ctx, sdk.MustAccAddressFromBech32(addr), denom).Amount
}

// endBlocks runs n end blocks (market settlement and expiry included).
func (e *env) endBlocks(n int) {
	e.t.Helper()
	for i := 0; i < n; i++ {
		e.ctx, _ = e.c.EndBlock(e.ctx)
		e.check()
	}
}

func (e *env) client() string   { return e.c.Accounts[0].Addr.String() }
func (e *env) provider() string { return e.c.Accounts[1].Addr.String() }
func (e *env) other() string    { return e.c.Accounts[2].Addr.String() }

func workerKey(seed string) cryptotypes.PrivKey { return secp256k1.GenPrivKeyFromSecret([]byte(seed)) }

func anyKey(t testing.TB, pk cryptotypes.PubKey) *codectypes.Any {
	t.Helper()
	a, err := codectypes.NewAnyWithValue(pk)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func hash(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

var (
	bond  = sdkmath.NewInt(200_000_000)
	price = sdkmath.NewInt(1_000)
)

func (e *env) register(owner string, key cryptotypes.PrivKey, models ...string) error {
	_, err := e.srv.RegisterProvider(e.ctx, &types.MsgRegisterProvider{
		Owner: owner, Pubkey: anyKey(e.t, key.PubKey()), Endpoint: "https://gpu.example/v1",
		Hardware: types.Hardware{GpuModel: "A100", GpuCount: 8, MemoryGb: 80}, Models: models, PricePerUnit: price, Bond: bond,
	})
	return err
}

func (e *env) submit(model string, maxUnits uint64, maxPrice int64, deadline uint64) (uint64, error) {
	res, err := e.srv.SubmitJob(e.ctx, &types.MsgSubmitJob{
		Client: e.client(), JobType: "inference", Model: model, InputHash: hash("input"),
		MaxUnits: maxUnits, MaxPricePerUnit: sdkmath.NewInt(maxPrice), DeadlineBlocks: deadline,
	})
	if err != nil {
		return 0, err
	}
	return res.JobId, nil
}

func (e *env) receipt(provider string, key cryptotypes.PrivKey, id uint64, units uint64) *types.MsgSubmitReceipt {
	sig, err := key.Sign(types.ReceiptSignBytes(apptesting.ChainID, id, hash("output"), units, price))
	if err != nil {
		e.t.Fatal(err)
	}
	return &types.MsgSubmitReceipt{Provider: provider, JobId: id, OutputHash: hash("output"), ComputeUnits: units, Signature: sig}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func want(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got %v, want %v", err, target)
	}
}

// TestLifecycleSettlesToTheUnit: register, submit, accept, receipt, wait out
// the window, settle; every balance checked to the uait.
func TestLifecycleSettlesToTheUnit(t *testing.T) {
	e := newEnv(t)
	key := workerKey("worker")
	clientStart, providerStart := e.balance(e.client()), e.balance(e.provider())
	feeCollector := authtypes.NewModuleAddress(authtypes.FeeCollectorName).String()
	feeStart := e.balance(feeCollector)

	must(t, e.register(e.provider(), key, "llama-3-8b", "sdxl"))
	e.check()
	id, err := e.submit("llama-3-8b", 100, 1_500, 50) // escrow 150,000
	must(t, err)
	e.check()
	if got := e.balance(e.client()); !got.Equal(clientStart.SubRaw(150_000)) {
		t.Fatalf("client after submit %s, want %s", got, clientStart.SubRaw(150_000))
	}
	_, err = e.srv.AcceptJob(e.ctx, &types.MsgAcceptJob{Provider: e.provider(), JobId: id})
	must(t, err)
	e.check()
	res, err := e.srv.SubmitReceipt(e.ctx, e.receipt(e.provider(), key, id, 60))
	must(t, err)
	e.check()
	if res.SettleHeight != e.ctx.BlockHeight()+5 {
		t.Fatalf("settle height %d, want %d", res.SettleHeight, e.ctx.BlockHeight()+5)
	}

	e.endBlocks(4) // window still open
	if job, _ := e.k.GetJob(e.ctx, id); job.State != types.JobDelivered {
		t.Fatalf("job %s before the window closed", job.State)
	}
	e.endBlocks(2)
	job, err := e.k.GetJob(e.ctx, id)
	must(t, err)
	if job.State != types.JobSettled {
		t.Fatalf("job %s after the window, want settled", job.State)
	}
	// 60 units × 1,000 = 60,000; fee 2% = 1,200; provider 58,800; client back 90,000.
	if got := e.balance(e.provider()); !got.Equal(providerStart.Sub(bond).AddRaw(58_800)) {
		t.Fatalf("provider %s, want %s", got, providerStart.Sub(bond).AddRaw(58_800))
	}
	if got := e.balance(e.client()); !got.Equal(clientStart.SubRaw(60_000)) {
		t.Fatalf("client %s, want %s", got, clientStart.SubRaw(60_000))
	}
	if got := e.balance(feeCollector).Sub(feeStart); !got.Equal(sdkmath.NewInt(1_200)) {
		t.Fatalf("fee collector got %s, want 1200", got)
	}
}

func TestProviderFailures(t *testing.T) {
	e := newEnv(t)
	key := workerKey("w")
	reg := func(mut func(*types.MsgRegisterProvider)) error {
		m := &types.MsgRegisterProvider{Owner: e.provider(), Pubkey: anyKey(t, key.PubKey()), Models: []string{"m"}, PricePerUnit: price, Bond: bond}
		mut(m)
		_, err := e.srv.RegisterProvider(e.ctx, m)
		return err
	}
	want(t, reg(func(m *types.MsgRegisterProvider) { m.Bond = sdkmath.NewInt(1) }), types.ErrUnderBonded)
	want(t, reg(func(m *types.MsgRegisterProvider) { m.Bond = apptesting.AccountBalance.MulRaw(2) }), sdkerrors.ErrInsufficientFunds)
	want(t, reg(func(m *types.MsgRegisterProvider) { m.Models = nil }), types.ErrInvalidProvider)
	want(t, reg(func(m *types.MsgRegisterProvider) { m.Models = []string{"a", "a"} }), types.ErrInvalidProvider)
	want(t, reg(func(m *types.MsgRegisterProvider) { m.PricePerUnit = sdkmath.ZeroInt() }), types.ErrInvalidProvider)
	want(t, reg(func(m *types.MsgRegisterProvider) { m.Pubkey = nil }), types.ErrInvalidPubKey)
	want(t, reg(func(m *types.MsgRegisterProvider) { m.Owner = "ait1nope" }), sdkerrors.ErrInvalidAddress)
	e.check()
	must(t, reg(func(*types.MsgRegisterProvider) {}))
	want(t, reg(func(*types.MsgRegisterProvider) {}), types.ErrProviderExists)
	e.check()

	_, err := e.srv.UpdateProvider(e.ctx, &types.MsgUpdateProvider{Owner: e.other(), Models: []string{"m"}, PricePerUnit: price})
	want(t, err, types.ErrProviderNotFound)
	_, err = e.srv.UpdateProvider(e.ctx, &types.MsgUpdateProvider{Owner: e.provider(), Models: []string{"m", "n"}, PricePerUnit: price, AddBond: sdkmath.NewInt(5)})
	must(t, err)
	e.check()

	// Deregister: refused while busy, then the bond comes back after the delay.
	id, err := e.submit("m", 1, 1_000, 100)
	must(t, err)
	_, err = e.srv.AcceptJob(e.ctx, &types.MsgAcceptJob{Provider: e.provider(), JobId: id})
	must(t, err)
	_, err = e.srv.DeregisterProvider(e.ctx, &types.MsgDeregisterProvider{Owner: e.provider()})
	want(t, err, types.ErrProviderBusy)
	_, err = e.srv.SubmitReceipt(e.ctx, e.receipt(e.provider(), key, id, 1))
	must(t, err)
	e.endBlocks(6) // settles; provider idle again
	before := e.balance(e.provider())
	res, err := e.srv.DeregisterProvider(e.ctx, &types.MsgDeregisterProvider{Owner: e.provider()})
	must(t, err)
	_, err = e.srv.DeregisterProvider(e.ctx, &types.MsgDeregisterProvider{Owner: e.provider()})
	want(t, err, types.ErrProviderInactive)
	e.endBlocks(int(res.UnbondingHeight-e.ctx.BlockHeight()) + 1) // released at the end of block unbonding_height
	if got := e.balance(e.provider()); !got.Equal(before.Add(bond).AddRaw(5)) {
		t.Fatalf("bond not released: balance %s, want %s", got, before.Add(bond).AddRaw(5))
	}
	if has, _ := e.k.Providers.Has(e.ctx, e.c.Accounts[1].Addr); has {
		t.Fatal("provider still registered after its bond was released")
	}
}

func TestJobFailures(t *testing.T) {
	e := newEnv(t)
	key, otherKey := workerKey("w"), workerKey("other")
	must(t, e.register(e.provider(), key, "m"))
	must(t, e.register(e.other(), otherKey, "m"))

	sub := func(mut func(*types.MsgSubmitJob)) error {
		m := &types.MsgSubmitJob{Client: e.client(), JobType: "t", Model: "m", InputHash: hash("x"), MaxUnits: 10, MaxPricePerUnit: price, DeadlineBlocks: 20}
		mut(m)
		_, err := e.srv.SubmitJob(e.ctx, m)
		return err
	}
	want(t, sub(func(m *types.MsgSubmitJob) { m.InputHash = "abc" }), types.ErrInvalidHash)
	want(t, sub(func(m *types.MsgSubmitJob) { m.InputHash = hash("x")[:63] + "G" }), types.ErrInvalidHash)
	want(t, sub(func(m *types.MsgSubmitJob) { m.InputHash = fmt.Sprintf("%X", sha256.Sum256(nil)) }), types.ErrInvalidHash)
	want(t, sub(func(m *types.MsgSubmitJob) { m.MaxUnits = 0 }), types.ErrInvalidJob)
	want(t, sub(func(m *types.MsgSubmitJob) { m.DeadlineBlocks = 0 }), types.ErrInvalidJob)
	want(t, sub(func(m *types.MsgSubmitJob) { m.DeadlineBlocks = 10_000_000 }), types.ErrInvalidJob)
	want(t, sub(func(m *types.MsgSubmitJob) { m.Model = "" }), types.ErrInvalidJob)
	want(t, sub(func(m *types.MsgSubmitJob) { m.MaxPricePerUnit = apptesting.AccountBalance }), sdkerrors.ErrInsufficientFunds)
	want(t, sub(func(m *types.MsgSubmitJob) {
		m.MaxUnits = ^uint64(0)
		m.MaxPricePerUnit = sdkmath.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), 250))
	}), types.ErrPaymentOutOfRange)
	e.check()

	accept := func(provider string, id uint64) error {
		_, err := e.srv.AcceptJob(e.ctx, &types.MsgAcceptJob{Provider: provider, JobId: id})
		return err
	}
	id, err := e.submit("m", 10, 1_000, 20)
	must(t, err)
	want(t, accept(e.c.Validators[0].Operator.String(), id), types.ErrProviderNotFound)
	want(t, accept(e.provider(), 999), types.ErrJobNotFound)
	other, err := e.submit("other-model", 10, 1_000, 20)
	must(t, err)
	want(t, accept(e.provider(), other), types.ErrModelNotSupported)
	cheap, err := e.submit("m", 10, 999, 20)
	must(t, err)
	want(t, accept(e.provider(), cheap), types.ErrPriceTooHigh)

	// Under-bonded: governance raises the minimum above the provider's bond.
	p := types.DefaultParams()
	p.DisputeWindowBlocks, p.MinProviderBond = 5, bond.AddRaw(1)
	e.setParams(p)
	want(t, accept(e.provider(), id), types.ErrUnderBonded)
	p.MinProviderBond = bond
	e.setParams(p)

	must(t, accept(e.provider(), id))
	want(t, accept(e.other(), id), types.ErrInvalidJobState) // only one provider can

	// Cancel: only the client, only while open.
	_, err = e.srv.CancelJob(e.ctx, &types.MsgCancelJob{Client: e.other(), JobId: cheap})
	want(t, err, types.ErrUnauthorized)
	_, err = e.srv.CancelJob(e.ctx, &types.MsgCancelJob{Client: e.client(), JobId: id})
	want(t, err, types.ErrInvalidJobState)
	_, err = e.srv.CancelJob(e.ctx, &types.MsgCancelJob{Client: e.client(), JobId: cheap})
	must(t, err)
	e.check()

	// Receipts.
	submit := func(m *types.MsgSubmitReceipt) error { _, err := e.srv.SubmitReceipt(e.ctx, m); return err }
	want(t, submit(e.receipt(e.other(), otherKey, id, 5)), types.ErrWrongProvider)
	want(t, submit(e.receipt(e.provider(), otherKey, id, 5)), types.ErrInvalidSignature)
	tampered := e.receipt(e.provider(), key, id, 5)
	tampered.ComputeUnits = 6
	want(t, submit(tampered), types.ErrInvalidSignature)
	want(t, submit(e.receipt(e.provider(), key, id, 11)), types.ErrUnitsExceeded)
	want(t, submit(e.receipt(e.provider(), key, id, 0)), types.ErrUnitsExceeded)
	badHash := e.receipt(e.provider(), key, id, 5)
	badHash.OutputHash = "zz"
	want(t, submit(badHash), types.ErrInvalidHash)
	must(t, submit(e.receipt(e.provider(), key, id, 5)))
	want(t, submit(e.receipt(e.provider(), key, id, 5)), types.ErrReceiptExists)
	e.check()

	// Disputes: only the client, only within the window.
	_, err = e.srv.DisputeJob(e.ctx, &types.MsgDisputeJob{Client: e.other(), JobId: id})
	want(t, err, types.ErrUnauthorized)
	e.endBlocks(5) // now at the settle height: the window is closed, settlement runs at this block's end
	_, err = e.srv.DisputeJob(e.ctx, &types.MsgDisputeJob{Client: e.client(), JobId: id, Reason: "late"})
	want(t, err, types.ErrDisputeWindowClosed)
	e.endBlocks(1)
	_, err = e.srv.DisputeJob(e.ctx, &types.MsgDisputeJob{Client: e.client(), JobId: id, Reason: "late"})
	want(t, err, types.ErrInvalidJobState)
	job, _ := e.k.GetJob(e.ctx, id)
	if job.State != types.JobSettled {
		t.Fatalf("job %s, want settled", job.State)
	}
}

func TestDisputeWindowClosesBeforeSettlementRuns(t *testing.T) {
	e := newEnv(t)
	key := workerKey("w")
	must(t, e.register(e.provider(), key, "m"))
	id, err := e.submit("m", 10, 1_000, 20)
	must(t, err)
	_, err = e.srv.AcceptJob(e.ctx, &types.MsgAcceptJob{Provider: e.provider(), JobId: id})
	must(t, err)
	res, err := e.srv.SubmitReceipt(e.ctx, e.receipt(e.provider(), key, id, 5))
	must(t, err)
	late := e.ctx.WithBlockHeight(res.SettleHeight)
	_, err = e.srv.DisputeJob(late, &types.MsgDisputeJob{Client: e.client(), JobId: id})
	want(t, err, types.ErrDisputeWindowClosed)
}

func TestReceiptAfterDeadline(t *testing.T) {
	e := newEnv(t)
	key := workerKey("w")
	must(t, e.register(e.provider(), key, "m"))
	id, err := e.submit("m", 10, 1_000, 3)
	must(t, err)
	_, err = e.srv.AcceptJob(e.ctx, &types.MsgAcceptJob{Provider: e.provider(), JobId: id})
	must(t, err)
	job, _ := e.k.GetJob(e.ctx, id)
	_, err = e.srv.SubmitReceipt(e.ctx.WithBlockHeight(job.DeadlineHeight+1), e.receipt(e.provider(), key, id, 5))
	want(t, err, types.ErrDeadlinePassed)
}

// TestTimeouts: an assigned job past its deadline is refunded in full and its
// provider slashed 5% (burned); an open one is refunded without a slash.
func TestTimeouts(t *testing.T) {
	e := newEnv(t)
	must(t, e.register(e.provider(), workerKey("w"), "m"))
	clientStart := e.balance(e.client())
	assigned, err := e.submit("m", 10, 1_000, 3)
	must(t, err)
	open, err := e.submit("m", 10, 1_000, 3)
	must(t, err)
	_, err = e.srv.AcceptJob(e.ctx, &types.MsgAcceptJob{Provider: e.provider(), JobId: assigned})
	must(t, err)

	e.endBlocks(4) // through the deadline block, which still allows delivery
	if job, _ := e.k.GetJob(e.ctx, assigned); job.State != types.JobAssigned {
		t.Fatalf("job %s at its deadline, want still assigned", job.State)
	}
	e.supply = e.supply.Sub(bond.MulRaw(5).QuoRaw(100)) // the slash is burned
	e.endBlocks(1)
	for _, id := range []uint64{assigned, open} {
		if job, _ := e.k.GetJob(e.ctx, id); job.State != types.JobExpired {
			t.Fatalf("job %d is %s, want expired", id, job.State)
		}
	}
	if got := e.balance(e.client()); !got.Equal(clientStart) {
		t.Fatalf("client %s after refunds, want %s", got, clientStart)
	}
	p, _ := e.k.GetProvider(e.ctx, e.c.Accounts[1].Addr)
	if !p.Bond.Equal(bond.MulRaw(95).QuoRaw(100)) || p.ActiveJobs != 0 {
		t.Fatalf("provider bond %s active %d, want 95%% of %s and idle", p.Bond, p.ActiveJobs, bond)
	}
}

func TestDisputeResolutions(t *testing.T) {
	for _, res := range []types.Resolution{types.ResolutionPay, types.ResolutionRefund, types.ResolutionRefundAndSlash} {
		t.Run(res.String(), func(t *testing.T) {
			e := newEnv(t)
			key := workerKey("w")
			must(t, e.register(e.provider(), key, "m"))
			clientStart, providerStart := e.balance(e.client()), e.balance(e.provider())
			id, err := e.submit("m", 10, 1_000, 20)
			must(t, err)
			_, err = e.srv.AcceptJob(e.ctx, &types.MsgAcceptJob{Provider: e.provider(), JobId: id})
			must(t, err)
			_, err = e.srv.SubmitReceipt(e.ctx, e.receipt(e.provider(), key, id, 10))
			must(t, err)
			_, err = e.srv.DisputeJob(e.ctx, &types.MsgDisputeJob{Client: e.client(), JobId: id, Reason: "garbage output"})
			must(t, err)
			e.endBlocks(10) // a disputed job never settles on its own
			if job, _ := e.k.GetJob(e.ctx, id); job.State != types.JobDisputed {
				t.Fatalf("disputed job became %s without a resolution", job.State)
			}
			_, err = e.srv.ResolveDispute(e.ctx, &types.MsgResolveDispute{Authority: e.client(), JobId: id, Resolution: res})
			want(t, err, types.ErrUnauthorized)
			if res == types.ResolutionRefundAndSlash {
				e.supply = e.supply.Sub(bond.MulRaw(5).QuoRaw(100))
			}
			_, err = e.srv.ResolveDispute(e.ctx, &types.MsgResolveDispute{Authority: govAddr, JobId: id, Resolution: res})
			must(t, err)
			e.check()
			_, err = e.srv.ResolveDispute(e.ctx, &types.MsgResolveDispute{Authority: govAddr, JobId: id, Resolution: res})
			want(t, err, types.ErrInvalidJobState)
			paid := res == types.ResolutionPay
			wantClient := clientStart
			wantProvider := providerStart
			if paid {
				wantClient = clientStart.SubRaw(10_000)
				wantProvider = wantProvider.AddRaw(9_800)
			}
			if got := e.balance(e.client()); !got.Equal(wantClient) {
				t.Fatalf("client %s, want %s", got, wantClient)
			}
			if got := e.balance(e.provider()); !got.Equal(wantProvider) {
				t.Fatalf("provider %s, want %s", got, wantProvider)
			}
		})
	}
}

func TestAttestationsAndMinting(t *testing.T) {
	e := newEnv(t)
	key := workerKey("w")
	coordA, coordB := ed25519.GenPrivKeyFromSecret([]byte("coord-a")), secp256k1.GenPrivKeyFromSecret([]byte("coord-b"))
	p := types.DefaultParams()
	p.DisputeWindowBlocks = 1
	p.Coordinators = []*codectypes.Any{anyKey(t, coordA.PubKey()), anyKey(t, coordB.PubKey())}
	p.RequiredAttestations = 1
	p.MintPerComputeUnit = sdkmath.NewInt(100)
	p.MaxMintPerBlock = sdkmath.NewInt(1_500)
	e.setParams(p)
	must(t, e.register(e.provider(), key, "m"))

	var ids []uint64
	for i := 0; i < 2; i++ {
		id, err := e.submit("m", 10, 1_000, 20)
		must(t, err)
		_, err = e.srv.AcceptJob(e.ctx, &types.MsgAcceptJob{Provider: e.provider(), JobId: id})
		must(t, err)
		ids = append(ids, id)
	}
	sign := func(k cryptotypes.PrivKey, id uint64) []byte {
		sig, err := k.Sign(types.ReceiptSignBytes(apptesting.ChainID, id, hash("output"), 10, price))
		must(t, err)
		return sig
	}
	noAttest := e.receipt(e.provider(), key, ids[0], 10)
	_, err := e.srv.SubmitReceipt(e.ctx, noAttest)
	want(t, err, types.ErrInvalidAttestation)
	wrongCoord := e.receipt(e.provider(), key, ids[0], 10)
	wrongCoord.Attestations = []types.Attestation{{Coordinator: 0, Signature: sign(coordB, ids[0])}}
	_, err = e.srv.SubmitReceipt(e.ctx, wrongCoord)
	want(t, err, types.ErrInvalidAttestation)
	unknown := e.receipt(e.provider(), key, ids[0], 10)
	unknown.Attestations = []types.Attestation{{Coordinator: 7, Signature: sign(coordA, ids[0])}}
	_, err = e.srv.SubmitReceipt(e.ctx, unknown)
	want(t, err, types.ErrInvalidAttestation)
	for i, id := range ids {
		m := e.receipt(e.provider(), key, id, 10)
		coord := []cryptotypes.PrivKey{coordA, coordB}[i]
		m.Attestations = []types.Attestation{{Coordinator: uint32(i), Signature: sign(coord, id)}}
		_, err = e.srv.SubmitReceipt(e.ctx, m)
		must(t, err)
	}
	// Both settle in one block: 2 × 10 units × 100 = 2,000 wanted, the cap allows 1,500.
	e.endBlocks(1)
	e.supply = e.supply.AddRaw(1_500)
	e.endBlocks(1)
	for _, id := range ids {
		if job, _ := e.k.GetJob(e.ctx, id); job.State != types.JobSettled {
			t.Fatalf("job %d is %s", id, job.State)
		}
	}
}

func TestEndBlockWorkIsBounded(t *testing.T) {
	e := newEnv(t)
	p := types.DefaultParams()
	p.DisputeWindowBlocks, p.MaxEndBlockOps = 5, 2
	e.setParams(p)
	for i := 0; i < 5; i++ {
		_, err := e.submit("m", 1, 1_000, 1)
		must(t, err)
	}
	expired := func() int {
		n := 0
		for id := uint64(1); id <= 5; id++ {
			if job, _ := e.k.GetJob(e.ctx, id); job.State == types.JobExpired {
				n++
			}
		}
		return n
	}
	e.endBlocks(3) // submitted at h, deadline h+1, expiry from the end of block h+2: two of them
	if n := expired(); n != 2 {
		t.Fatalf("%d jobs expired in the first block past the deadline, want 2 (max_end_block_ops)", n)
	}
	e.endBlocks(2)
	if n := expired(); n != 5 {
		t.Fatalf("%d of 5 jobs expired after two more blocks", n)
	}
}

func TestUpdateParamsAuthority(t *testing.T) {
	e := newEnv(t)
	_, err := e.srv.UpdateParams(e.ctx, &types.MsgUpdateParams{Authority: e.client(), Params: types.DefaultParams()})
	want(t, err, types.ErrUnauthorized)
	bad := types.DefaultParams()
	bad.ProtocolFeeBps = 10_001
	_, err = e.srv.UpdateParams(e.ctx, &types.MsgUpdateParams{Authority: govAddr, Params: bad})
	want(t, err, types.ErrInvalidParams)
	bad = types.DefaultParams()
	bad.RequiredAttestations = 1
	_, err = e.srv.UpdateParams(e.ctx, &types.MsgUpdateParams{Authority: govAddr, Params: bad})
	want(t, err, types.ErrInvalidParams)
}

func TestGenesisRoundTrip(t *testing.T) {
	e := newEnv(t)
	key := workerKey("w")
	must(t, e.register(e.provider(), key, "m"))
	a, err := e.submit("m", 10, 1_000, 20)
	must(t, err)
	_, err = e.submit("m", 10, 1_000, 20)
	must(t, err)
	_, err = e.srv.AcceptJob(e.ctx, &types.MsgAcceptJob{Provider: e.provider(), JobId: a})
	must(t, err)
	_, err = e.srv.SubmitReceipt(e.ctx, e.receipt(e.provider(), key, a, 3))
	must(t, err)

	exported, err := e.k.ExportGenesis(e.ctx)
	must(t, err)
	must(t, exported.Validate())
	other := apptesting.New(t, apptesting.Options{})
	octx := other.Context()
	must(t, other.App.ComputeKeeper.InitGenesis(octx, *exported))
	again, err := other.App.ComputeKeeper.ExportGenesis(octx)
	must(t, err)
	if again.String() != exported.String() {
		t.Fatalf("round trip changed genesis")
	}
	// Indexes were rebuilt: the delivered job settles from the imported queue.
	settle, _ := other.App.ComputeKeeper.GetJob(octx, a)
	if settle.State != types.JobDelivered {
		t.Fatalf("imported job %s", settle.State)
	}
	escrow, bonds := exported.Totals()
	if got, _ := other.App.ComputeKeeper.TotalEscrow.Get(octx); !got.Equal(escrow) {
		t.Fatalf("imported escrow total %s, want %s", got, escrow)
	}
	if got, _ := other.App.ComputeKeeper.TotalBonds.Get(octx); !got.Equal(bonds) {
		t.Fatalf("imported bonds total %s, want %s", got, bonds)
	}
}

// Finishing a job releases its provider by exactly one active job; a
// provider whose count is already 0 while it holds a job is a broken
// invariant, and both the message path and the end-block path refuse it with
// ErrLogic naming the job, rather than clamp the count and carry on.
func TestFinishRefusesABrokenActiveJobCount(t *testing.T) {
	e := newEnv(t)
	key := workerKey("w")
	must(t, e.register(e.provider(), key, "m"))
	owner := e.c.Accounts[1].Addr
	active := func() uint64 {
		t.Helper()
		p, err := e.k.GetProvider(e.ctx, owner)
		must(t, err)
		return p.ActiveJobs
	}
	var ids []uint64
	for i := 0; i < 3; i++ {
		id, err := e.submit("m", 10, 1_000, 50)
		must(t, err)
		_, err = e.srv.AcceptJob(e.ctx, &types.MsgAcceptJob{Provider: e.provider(), JobId: id})
		must(t, err)
		ids = append(ids, id)
	}
	if got := active(); got != 3 {
		t.Fatalf("active jobs %d after three accepts, want 3", got)
	}
	// A normal settlement counts the provider down by one.
	_, err := e.srv.SubmitReceipt(e.ctx, e.receipt(e.provider(), key, ids[0], 10))
	must(t, err)
	e.endBlocks(6)
	if job, _ := e.k.GetJob(e.ctx, ids[0]); job.State != types.JobSettled {
		t.Fatalf("job %s, want settled", job.State)
	}
	if got := active(); got != 2 {
		t.Fatalf("active jobs %d after one settlement, want 2", got)
	}

	_, err = e.srv.SubmitReceipt(e.ctx, e.receipt(e.provider(), key, ids[1], 10))
	must(t, err)
	_, err = e.srv.DisputeJob(e.ctx, &types.MsgDisputeJob{Client: e.client(), JobId: ids[1], Reason: "bad"})
	must(t, err)
	_, err = e.srv.SubmitReceipt(e.ctx, e.receipt(e.provider(), key, ids[2], 10))
	must(t, err)

	// Break the invariant: the provider still holds two jobs but counts none.
	p, err := e.k.GetProvider(e.ctx, owner)
	must(t, err)
	p.ActiveJobs = 0
	must(t, e.k.Providers.Set(e.ctx, owner, p))

	wantBroken := func(err error, id uint64) {
		t.Helper()
		want(t, err, sdkerrors.ErrLogic)
		if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("job %d ", id)) || !strings.Contains(msg, e.provider()) ||
			!strings.Contains(msg, "active job count is already 0") {
			t.Fatalf("error %q does not name the job, the provider and the count", msg)
		}
	}
	// Message path (as in a tx, on a cache that the failure discards).
	cctx, _ := e.ctx.CacheContext()
	_, err = e.srv.ResolveDispute(cctx, &types.MsgResolveDispute{Authority: govAddr, JobId: ids[1], Resolution: types.ResolutionRefund})
	wantBroken(err, ids[1])
	// End-block path: the delivered job comes due for settlement.
	ctx := e.ctx
	for i := 0; ; i++ {
		if i == 10 {
			t.Fatal("settling the delivered job never failed on the broken count")
		}
		cctx, _ := ctx.CacheContext()
		if err := e.k.EndBlocker(cctx); err != nil {
			wantBroken(err, ids[2])
			break
		}
		ctx = ctx.WithBlockHeight(ctx.BlockHeight() + 1)
	}
}
