package keeper_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/aitbc/chain/app/apptesting"
	"github.com/aitbc/chain/x/poa/keeper"
	"github.com/aitbc/chain/x/poa/types"
)

func wantCode(t *testing.T, err error, code codes.Code, substr string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(err.Error(), substr) {
		t.Fatalf("got %v (code %s), want code %s containing %q", err, status.Code(err), code, substr)
	}
}

// TestValidatorsAndPendingChangesArePaged: both lists come a page at a time,
// next keys lead through the whole list, and pages above the cap are refused.
func TestValidatorsAndPendingChangesArePaged(t *testing.T) {
	c, srv := setup(t, types.Params{})
	ctx := c.Context()
	q := keeper.NewQueryServerImpl(c.App.PoaKeeper)
	// Two added validators (managed, not bonded yet) and a power change for a
	// genesis one: five validators listed, three pending changes.
	for i, seed := range []string{"a", "b"} {
		if _, err := srv.AddValidator(ctx, addMsg(t, govAddr, newAccount("op-"+seed), newConsKey("cons-"+seed), int64(10+i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.SetValidatorPower(ctx, &types.MsgSetValidatorPower{Authority: govAddr, ValidatorAddress: c.Validators[0].ValAddr.String(), Power: 50}); err != nil {
		t.Fatal(err)
	}

	all, err := q.Validators(ctx, &types.QueryValidatorsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Validators) != 5 || all.TotalPower != 300 || len(all.Pagination.NextKey) != 0 {
		t.Fatalf("unpaged: %d validators, total power %d, next key %x", len(all.Validators), all.TotalPower, all.Pagination.NextKey)
	}
	var walked []string
	var key []byte
	for pages := 0; ; pages++ {
		res, err := q.Validators(ctx, &types.QueryValidatorsRequest{Pagination: &query.PageRequest{Key: key, Limit: 2, CountTotal: key == nil}})
		if err != nil {
			t.Fatal(err)
		}
		if key == nil && res.Pagination.Total != 5 {
			t.Fatalf("count_total gave %d, want 5", res.Pagination.Total)
		}
		for _, v := range res.Validators {
			walked = append(walked, v.ValidatorAddress)
		}
		if key = res.Pagination.NextKey; len(key) == 0 {
			if pages != 2 {
				t.Fatalf("%d pages of 2 for 5 validators", pages+1)
			}
			break
		}
	}
	for i, v := range all.Validators {
		if walked[i] != v.ValidatorAddress {
			t.Fatalf("paging gave %v, the whole list is %v", walked, all.Validators)
		}
	}
	rev, err := q.Validators(ctx, &types.QueryValidatorsRequest{Pagination: &query.PageRequest{Limit: 1, Reverse: true}})
	if err != nil || rev.Validators[0].ValidatorAddress != all.Validators[4].ValidatorAddress {
		t.Fatalf("reverse: %v, %v", rev, err)
	}
	off, err := q.Validators(ctx, &types.QueryValidatorsRequest{Pagination: &query.PageRequest{Offset: 4, Limit: 10}})
	if err != nil || len(off.Validators) != 1 || off.Validators[0].ValidatorAddress != all.Validators[4].ValidatorAddress {
		t.Fatalf("offset 4: %v, %v", off, err)
	}
	past, err := q.Validators(ctx, &types.QueryValidatorsRequest{Pagination: &query.PageRequest{Offset: 50}})
	if err != nil || len(past.Validators) != 0 {
		t.Fatalf("offset past the end: %v, %v", past, err)
	}
	_, err = q.Validators(ctx, &types.QueryValidatorsRequest{Pagination: &query.PageRequest{Key: []byte("bad")}})
	wantCode(t, err, codes.InvalidArgument, "pagination.key has 3 bytes")

	changes, err := q.PendingChanges(ctx, &types.QueryPendingChangesRequest{Pagination: &query.PageRequest{Limit: 2}})
	if err != nil || len(changes.PendingChanges) != 2 || len(changes.Pagination.NextKey) == 0 {
		t.Fatalf("first page of changes: %v, %v", changes, err)
	}
	rest, err := q.PendingChanges(ctx, &types.QueryPendingChangesRequest{Pagination: &query.PageRequest{Key: changes.Pagination.NextKey, Limit: 2}})
	if err != nil || len(rest.PendingChanges) != 1 || rest.PendingChanges[0].TargetPower != 50 || len(rest.Pagination.NextKey) != 0 {
		t.Fatalf("second page of changes: %v, %v", rest, err)
	}

	tooBig := &query.PageRequest{Limit: 100_000_000}
	_, err = q.Validators(ctx, &types.QueryValidatorsRequest{Pagination: tooBig})
	wantCode(t, err, codes.InvalidArgument, "pagination.limit 100000000 is above the maximum 1000")
	_, err = q.PendingChanges(ctx, &types.QueryPendingChangesRequest{Pagination: tooBig})
	wantCode(t, err, codes.InvalidArgument, "above the maximum 1000")
	_, err = q.AllowList(ctx, &types.QueryAllowListRequest{Pagination: tooBig})
	wantCode(t, err, codes.InvalidArgument, "above the maximum 1000")
	for _, ok := range []*query.PageRequest{nil, {Limit: 1000}} {
		if _, err := q.AllowList(ctx, &types.QueryAllowListRequest{Pagination: ok}); err != nil {
			t.Fatalf("allow list with %v: %v", ok, err)
		}
	}
	if _, err := q.Validators(ctx, nil); err != nil {
		t.Fatalf("nil request: %v", err)
	}
}

// A candidate outside the set (here a self-bond below one power, which
// CometBFT cannot be given), neither jailed nor staked by x/poa, is listed
// too: every validator x/staking holds is.
func TestValidatorsListsCandidatesOutsideTheSet(t *testing.T) {
	c := apptesting.New(t, apptesting.Options{Poa: types.Params{Mode: types.ModePoS, MaxPowerChangeBps: 3000}})
	ctx := c.Context()
	op := c.Accounts[0].Addr
	create, err := stakingtypes.NewMsgCreateValidator(sdk.ValAddress(op).String(), newConsKey("candidate"), sdk.NewInt64Coin("uait", 500_000),
		stakingtypes.NewDescription("candidate", "", "", "", ""), stakingtypes.NewCommissionRates(sdkmath.LegacyZeroDec(), sdkmath.LegacyOneDec(), sdkmath.LegacyZeroDec()), sdkmath.OneInt())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stakingkeeper.NewMsgServerImpl(c.App.StakingKeeper).CreateValidator(ctx, create); err != nil {
		t.Fatal(err)
	}
	ctx, _ = c.EndBlock(ctx)
	res, err := keeper.NewQueryServerImpl(c.App.PoaKeeper).Validators(ctx, &types.QueryValidatorsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.Validators); n != 4 {
		t.Fatalf("%d validators listed, want 4: %v", n, res.Validators)
	}
	last := res.Validators[3]
	if last.ValidatorAddress != sdk.ValAddress(op).String() || last.Bonded || last.Jailed || last.Power != 0 {
		t.Fatalf("the candidate is listed as %+v", last)
	}
}
