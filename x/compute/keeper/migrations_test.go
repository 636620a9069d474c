package keeper_test

import (
	"testing"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/runtime"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aitbc/chain/x/compute/keeper"
	"github.com/aitbc/chain/x/compute/types"
)

// v1Store is x/compute's store as consensus version 1 declared it: the jobs
// map and three hand-kept KeySet indexes, no counters.
type v1Store struct {
	jobs             collections.Map[uint64, types.Job]
	byClient, byProv collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	byState          collections.KeySet[collections.Pair[int32, uint64]]
	jobCounts        collections.Map[int32, uint64]
	providerCount    collections.Item[uint64]
}

func openV1(t *testing.T, e *env) v1Store {
	t.Helper()
	sb := collections.NewSchemaBuilder(runtime.NewKVStoreService(e.c.App.GetKey(types.StoreKey)))
	pair := collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key)
	s := v1Store{
		jobs:     collections.NewMap(sb, types.JobsPrefix, "jobs", collections.Uint64Key, codec.CollValue[types.Job](e.c.App.AppCodec())),
		byClient: collections.NewKeySet(sb, types.JobsByClientPrefix, "jobs_by_client", pair),
		byProv:   collections.NewKeySet(sb, types.JobsByProvPrefix, "jobs_by_provider", pair),
		byState:  collections.NewKeySet(sb, types.JobsByStatePrefix, "jobs_by_state", collections.PairKeyCodec(collections.Int32Key, collections.Uint64Key)),
		// Not part of version 1: the keys version 2 adds, for the test to delete.
		jobCounts:     collections.NewMap(sb, types.JobCountsPrefix, "job_counts", collections.Int32Key, collections.Uint64Value),
		providerCount: collections.NewItem(sb, types.ProviderCountKey, "provider_count", collections.Uint64Value),
	}
	if _, err := sb.Build(); err != nil {
		t.Fatal(err)
	}
	return s
}

// dropCounters leaves the store as a version-1 chain has it.
func (s v1Store) dropCounters(t *testing.T, ctx sdk.Context) {
	t.Helper()
	must(t, s.jobCounts.Clear(ctx, nil))
	must(t, s.providerCount.Remove(ctx))
}

func countOf(c keeper.Counts, s types.JobState) uint64 {
	for _, sc := range c.JobsByState {
		if sc.State == s {
			return sc.Count
		}
	}
	return 0
}

// TestMigrate1to2KeepsVersion1IndexesAndStartsCounters: index entries and
// jobs written as version 1 wrote them (the old saveJob: jobs map, then a
// KeySet entry per index, no counters) are found by version 2's indexes
// after Migrate1to2, version 2 moves those entries when a job changes state,
// and the counters the migration starts match the stored jobs. Before the
// migration the invariants fail: without the counters, version 2 would
// count wrong.
func TestMigrate1to2KeepsVersion1IndexesAndStartsCounters(t *testing.T) {
	e := newEnv(t)
	key := workerKey("worker")
	must(t, e.register(e.provider(), key, "llama-3-8b"))
	open1, err := e.submit("llama-3-8b", 100, 1_500, 50)
	must(t, err)
	accepted, err := e.submit("llama-3-8b", 100, 1_500, 50)
	must(t, err)
	_, err = e.srv.AcceptJob(e.ctx, &types.MsgAcceptJob{Provider: e.provider(), JobId: accepted})
	must(t, err)

	// Version 2 wrote what version 1 reads: the same entries, the same bytes.
	v1 := openV1(t, e)
	client, provider := sdk.MustAccAddressFromBech32(e.client()), sdk.MustAccAddressFromBech32(e.provider())
	for _, k := range []collections.Pair[sdk.AccAddress, uint64]{collections.Join(client, open1), collections.Join(client, accepted)} {
		if ok, err := v1.byClient.Has(e.ctx, k); err != nil || !ok {
			t.Fatalf("version-1 client index lacks %v (%v)", k, err)
		}
	}
	if ok, _ := v1.byProv.Has(e.ctx, collections.Join(provider, accepted)); !ok {
		t.Fatal("version-1 provider index lacks the accepted job")
	}
	if ok, _ := v1.byProv.Has(e.ctx, collections.Join(provider, open1)); ok {
		t.Fatal("an open job has a provider index entry")
	}
	if ok, _ := v1.byState.Has(e.ctx, collections.Join(int32(types.JobAssigned), accepted)); !ok {
		t.Fatal("version-1 state index lacks the assigned job")
	}

	// A job written by version 1, with its escrow in the books as version 1 kept them.
	old, err := e.k.GetJob(e.ctx, open1)
	must(t, err)
	legacy := old
	legacy.Id = 99
	legacy.InputHash = hash("legacy")
	must(t, v1.jobs.Set(e.ctx, legacy.Id, legacy))
	must(t, v1.byClient.Set(e.ctx, collections.Join(client, legacy.Id)))
	must(t, v1.byState.Set(e.ctx, collections.Join(int32(legacy.State), legacy.Id)))
	must(t, e.k.Deadlines.Set(e.ctx, collections.Join(legacy.DeadlineHeight, legacy.Id)))
	must(t, e.c.App.BankKeeper.SendCoinsFromAccountToModule(e.ctx, client, types.ModuleName, sdk.NewCoins(sdk.NewCoin(denom, legacy.Escrow))))
	escrow, err := e.k.TotalEscrow.Get(e.ctx)
	must(t, err)
	must(t, e.k.TotalEscrow.Set(e.ctx, escrow.Add(legacy.Escrow)))
	v1.dropCounters(t, e.ctx)

	if err := e.k.CheckInvariants(e.ctx); err == nil {
		t.Fatal("invariants hold on a version-1 store without counters: the counter check checks nothing")
	}
	must(t, keeper.NewMigrator(e.k).Migrate1to2(e.ctx))
	if err := e.k.CheckInvariants(e.ctx); err != nil {
		t.Fatalf("after Migrate1to2: %v", err)
	}
	counts, err := e.k.StoredCounts(e.ctx)
	must(t, err)
	if countOf(counts, types.JobOpen) != 2 || countOf(counts, types.JobAssigned) != 1 || counts.Providers != 1 {
		t.Fatalf("counts after the migration %+v, want 2 open, 1 assigned, 1 provider", counts)
	}

	// Version 2 finds and maintains the version-1 entries.
	q := keeper.NewQueryServerImpl(e.k)
	res, err := q.Jobs(e.ctx, &types.QueryJobsRequest{Client: e.client()})
	must(t, err)
	if len(res.Jobs) != 3 {
		t.Fatalf("jobs by client %d, want 3 (the version-1 one included)", len(res.Jobs))
	}
	_, err = e.srv.AcceptJob(e.ctx, &types.MsgAcceptJob{Provider: e.provider(), JobId: legacy.Id})
	must(t, err)
	if ok, _ := v1.byState.Has(e.ctx, collections.Join(int32(types.JobOpen), legacy.Id)); ok {
		t.Fatal("the version-1 open entry stayed after the job was accepted")
	}
	e.check()
	counts, err = e.k.StoredCounts(e.ctx)
	must(t, err)
	if countOf(counts, types.JobOpen) != 1 || countOf(counts, types.JobAssigned) != 2 {
		t.Fatalf("counts after accepting the version-1 job %+v, want 1 open, 2 assigned", counts)
	}
	cq, err := q.Counts(e.ctx, &types.QueryCountsRequest{})
	must(t, err)
	if len(cq.JobsByState) != len(types.JobState_name)-1 || cq.Providers != 1 {
		t.Fatalf("Counts answered %+v", cq)
	}
}
