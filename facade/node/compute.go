package node

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/cosmos/gogoproto/proto"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/aitbc/chain/facade/apierr"
	computetypes "github.com/aitbc/chain/x/compute/types"
)

// The compute endpoints answer x/compute's own protobuf types in their
// proto3 JSON form (snake_case fields, enums by name, 64-bit integers and
// amounts as strings), the same JSON the Cosmos REST API and the CLI print.

// JobsFilter selects jobs; at most one of Client, Provider and State.
type JobsFilter struct {
	Client, Provider, State string
	Limit                   string // 1 to MaxPageLimit, default DefaultPageLimit
	PageKey                 string // next_key of the previous page
}

// ComputePage is a page of jobs or providers.
type ComputePage struct {
	Items   []json.RawMessage
	NextKey string
}

func (n *Node) protoJSON(msg proto.Message) (json.RawMessage, error) {
	raw, err := codec.ProtoMarshalJSON(msg, n.ifaces)
	if err != nil {
		return nil, apierr.New(502, "encoding %T: %v", msg, err)
	}
	return raw, nil
}

// Page sizes of the compute list endpoints (GET /compute/jobs and
// /compute/providers; docs/api.md and openapi.json give the same numbers).
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
)

// parsePage reads limit and page_key.
func parsePage(limit, pageKey string) (*query.PageRequest, error) {
	page := &query.PageRequest{Limit: DefaultPageLimit}
	if limit != "" {
		l, err := strconv.ParseUint(limit, 10, 64)
		if err != nil || l < 1 || l > MaxPageLimit {
			return nil, apierr.BadRequest("invalid limit %q: want 1 to %d", clip(limit), MaxPageLimit)
		}
		page.Limit = l
	}
	if pageKey != "" {
		key, err := base64.StdEncoding.DecodeString(pageKey)
		if err != nil {
			key, err = base64.URLEncoding.DecodeString(pageKey)
		}
		if err != nil || len(key) == 0 {
			return nil, apierr.BadRequest("invalid page_key %q: want the next_key of the previous page", clip(pageKey))
		}
		page.Key = key
	}
	return page, nil
}

func nextKey(p *query.PageResponse) string {
	if p == nil || len(p.NextKey) == 0 {
		return ""
	}
	return base64.StdEncoding.EncodeToString(p.NextKey)
}

// ParseJobState accepts open, OPEN or JOB_STATE_OPEN (and so on).
func ParseJobState(raw string) (computetypes.JobState, error) {
	name := strings.ToUpper(strings.TrimSpace(raw))
	if !strings.HasPrefix(name, "JOB_STATE_") {
		name = "JOB_STATE_" + name
	}
	v, ok := computetypes.JobState_value[name]
	if !ok || v == 0 {
		return 0, apierr.BadRequest("invalid state %q: want open, assigned, delivered, disputed, settled, refunded, expired or cancelled", clip(raw))
	}
	return computetypes.JobState(v), nil
}

// ComputeJobs lists compute jobs, newest id last, one page at a time.
func (n *Node) ComputeJobs(ctx context.Context, f JobsFilter) (ComputePage, error) {
	req := &computetypes.QueryJobsRequest{Client: f.Client, Provider: f.Provider}
	set := 0
	for _, addr := range []string{f.Client, f.Provider} {
		if addr == "" {
			continue
		}
		set++
		if err := n.ValidateAddress(addr); err != nil {
			return ComputePage{}, err
		}
	}
	if f.State != "" {
		set++
		state, err := ParseJobState(f.State)
		if err != nil {
			return ComputePage{}, err
		}
		req.State = state
	}
	if set > 1 {
		return ComputePage{}, apierr.BadRequest("filter by at most one of client, provider and state")
	}
	page, err := parsePage(f.Limit, f.PageKey)
	if err != nil {
		return ComputePage{}, err
	}
	req.Pagination = page
	res, err := n.compute.Jobs(ctx, req)
	if err != nil {
		return ComputePage{}, apierr.FromUpstream(err)
	}
	out := ComputePage{Items: make([]json.RawMessage, 0, len(res.Jobs)), NextKey: nextKey(res.Pagination)}
	for i := range res.Jobs {
		raw, err := n.protoJSON(&res.Jobs[i])
		if err != nil {
			return ComputePage{}, err
		}
		out.Items = append(out.Items, raw)
	}
	return out, nil
}

// ComputeJob returns one job by id.
func (n *Node) ComputeJob(ctx context.Context, rawID string) (json.RawMessage, error) {
	id, err := strconv.ParseUint(rawID, 10, 64)
	if err != nil || id == 0 {
		return nil, apierr.BadRequest("invalid job id %q: want a positive integer", clip(rawID))
	}
	res, err := n.compute.Job(ctx, &computetypes.QueryJobRequest{Id: id})
	if err != nil {
		return nil, apierr.FromUpstream(err)
	}
	return n.protoJSON(&res.Job)
}

// ComputeProviders lists registered providers, one page at a time.
func (n *Node) ComputeProviders(ctx context.Context, limit, pageKey string) (ComputePage, error) {
	page, err := parsePage(limit, pageKey)
	if err != nil {
		return ComputePage{}, err
	}
	res, err := n.compute.Providers(ctx, &computetypes.QueryProvidersRequest{Pagination: page})
	if err != nil {
		return ComputePage{}, apierr.FromUpstream(err)
	}
	out := ComputePage{Items: make([]json.RawMessage, 0, len(res.Providers)), NextKey: nextKey(res.Pagination)}
	for i := range res.Providers {
		raw, err := n.protoJSON(&res.Providers[i])
		if err != nil {
			return ComputePage{}, err
		}
		out.Items = append(out.Items, raw)
	}
	return out, nil
}

// ComputeProvider returns one provider by owner address.
func (n *Node) ComputeProvider(ctx context.Context, owner string) (json.RawMessage, error) {
	if err := n.ValidateAddress(owner); err != nil {
		return nil, err
	}
	res, err := n.compute.Provider(ctx, &computetypes.QueryProviderRequest{Owner: owner})
	if err != nil {
		return nil, apierr.FromUpstream(err)
	}
	return n.protoJSON(&res.Provider)
}

// ComputeStats are the market's totals for the metrics.
type ComputeStats struct {
	JobEscrow, ProviderBonds float64
	Providers                int
	JobsByState              map[string]int
}

// ComputeStats reads the escrow totals and the counters x/compute keeps
// of jobs by state and of providers: two queries per poll, whatever the
// number of jobs.
func (n *Node) ComputeStats(ctx context.Context) (ComputeStats, error) {
	out := ComputeStats{JobsByState: map[string]int{}}
	esc, err := n.compute.EscrowTotals(ctx, &computetypes.QueryEscrowTotalsRequest{})
	if err != nil {
		return out, err
	}
	out.JobEscrow, _ = strconv.ParseFloat(esc.JobEscrow.String(), 64)
	out.ProviderBonds, _ = strconv.ParseFloat(esc.ProviderBonds.String(), 64)
	counts, err := n.compute.Counts(ctx, &computetypes.QueryCountsRequest{})
	if err != nil {
		return out, err
	}
	out.Providers = int(counts.Providers)
	for _, c := range counts.JobsByState {
		out.JobsByState[c.State.ShortName()] = int(c.Count)
	}
	return out, nil
}
