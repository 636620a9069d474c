package keeper

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/aitbc/chain/x/compute/types"
)

// Counts is the number of jobs in each state and of providers.
type Counts struct {
	// JobsByState has one entry per known state except UNSPECIFIED, in enum order.
	JobsByState []types.JobStateCount
	Providers   uint64
}

// knownJobStates are the states a job can be in, in enum order.
func knownJobStates() []types.JobState {
	states := make([]types.JobState, 0, len(types.JobState_name))
	for v := range types.JobState_name {
		if v != int32(types.JobStateUnspecified) {
			states = append(states, types.JobState(v))
		}
	}
	sort.Slice(states, func(i, j int) bool { return states[i] < states[j] })
	return states
}

// StoredCounts reads the counters the indexes keep: one read per state and
// one for the providers, however many jobs there are.
func (k Keeper) StoredCounts(ctx context.Context) (Counts, error) {
	var out Counts
	for _, s := range knownJobStates() {
		n, err := k.JobCounts.Get(ctx, int32(s))
		if err != nil && !errors.Is(err, collections.ErrNotFound) {
			return out, err
		}
		out.JobsByState = append(out.JobsByState, types.JobStateCount{State: s, Count: n})
	}
	n, err := k.Providers.Indexes.Count.Get(ctx)
	out.Providers = n
	return out, err
}

// countedCounts counts by walking every job and provider: what the stored
// counters must equal.
func (k Keeper) countedCounts(ctx context.Context) (Counts, error) {
	states := knownJobStates()
	perState := make([]uint64, len(states))
	var out Counts
	if err := k.Jobs.Walk(ctx, nil, func(id uint64, j types.Job) (bool, error) {
		i := sort.Search(len(states), func(i int) bool { return states[i] >= j.State })
		if i == len(states) || states[i] != j.State {
			return true, fmt.Errorf("job %d is in unknown state %d", id, j.State)
		}
		perState[i]++
		return false, nil
	}); err != nil {
		return out, err
	}
	for i, s := range states {
		out.JobsByState = append(out.JobsByState, types.JobStateCount{State: s, Count: perState[i]})
	}
	err := k.Providers.Walk(ctx, nil, func(sdk.AccAddress, types.Provider) (bool, error) {
		out.Providers++
		return false, nil
	})
	return out, err
}

// writeCounts stores c as the counters; the v2 migration starts them with it.
func (k Keeper) writeCounts(ctx context.Context, c Counts) error {
	for _, sc := range c.JobsByState {
		var err error
		if sc.Count == 0 {
			err = k.JobCounts.Remove(ctx, int32(sc.State))
		} else {
			err = k.JobCounts.Set(ctx, int32(sc.State), sc.Count)
		}
		if err != nil {
			return err
		}
	}
	return k.Providers.Indexes.Count.total.Set(ctx, c.Providers)
}

// checkCounts fails unless the stored counters equal a count of the jobs and providers.
func (k Keeper) checkCounts(ctx context.Context) error {
	stored, err := k.StoredCounts(ctx)
	if err != nil {
		return err
	}
	counted, err := k.countedCounts(ctx)
	if err != nil {
		return err
	}
	if stored.Providers != counted.Providers {
		return fmt.Errorf("provider count %d, %d providers stored", stored.Providers, counted.Providers)
	}
	for i, sc := range stored.JobsByState {
		if sc != counted.JobsByState[i] {
			return fmt.Errorf("%s count %d, %d such jobs stored", sc.State, sc.Count, counted.JobsByState[i].Count)
		}
	}
	return nil
}
