package feed

import (
	"cmp"
	"context"
	"slices"
	"strings"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"cosmossdk.io/log/v2"

	"github.com/aitbc/chain/facade/node"
	"github.com/aitbc/chain/facade/ws"
)

// ConsensusEvent is a consensus_events message. Kind says which fields are set:
//   - new_round: height, round, proposer
//   - round_step: height, round, step (NewHeight, Propose, Prevote, Precommit, Commit, …)
//   - proposal: height, round, block_hash (a complete proposal was received)
//   - votes: height, round, vote_type (prevote/precommit), votes, nil_votes, block_hash
//     (the hash most votes went to): a summary sent when the round moves past that
//     vote type, cumulative (a late vote re-sends the summary with the new totals)
//   - validator_set_update: height 0, validators (address and new voting power; 0 = removed)
type ConsensusEvent struct {
	Kind       string         `json:"kind"`
	Height     int64          `json:"height"`
	Round      int32          `json:"round"`
	Step       string         `json:"step,omitempty"`
	Proposer   string         `json:"proposer,omitempty"`
	BlockHash  string         `json:"block_hash,omitempty"`
	VoteType   string         `json:"vote_type,omitempty"`
	Votes      int            `json:"votes,omitempty"`
	NilVotes   int            `json:"nil_votes,omitempty"`
	Validators []ValidatorSet `json:"validators,omitempty"`
}

// ValidatorSet is one validator's new voting power.
type ValidatorSet struct {
	Address string `json:"address"`
	Power   int64  `json:"power"`
}

// consensusQueries fit CometBFT's default of 5 subscriptions per connection.
var consensusQueries = []string{
	cmttypes.EventQueryNewRound.String(),
	cmttypes.EventQueryNewRoundStep.String(),
	cmttypes.EventQueryCompleteProposal.String(),
	cmttypes.EventQueryVote.String(),
	cmttypes.EventQueryValidatorSetUpdates.String(),
}

// Consensus publishes consensus_events until ctx ends. Votes are tallied,
// not forwarded one by one: with a large validator set they would be most of
// the topic's traffic.
func Consensus(ctx context.Context, n *node.Node, hub *ws.Hub, logger log.Logger) {
	events := make(chan ctypes.ResultEvent, upstreamBuffer)
	go subscribe(ctx, n, ws.TopicConsensusEvents, consensusQueries, events, logger)
	tally := NewVoteTally()
	publish := func(msg ConsensusEvent) {
		if err := hub.Publish(ws.TopicConsensusEvents, msg.Height, msg); err != nil {
			logger.Error("publishing a consensus event", "err", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			if d, ok := ev.Data.(cmttypes.EventDataVote); ok {
				tally.Add(d.Vote)
				continue
			}
			msg, ok := ConsensusMessage(ev.Data)
			if !ok {
				continue
			}
			if msg.Kind == "round_step" || msg.Kind == "new_round" {
				for _, summary := range tally.Closed(msg.Height, msg.Round, msg.Step) {
					publish(summary)
				}
			}
			publish(msg)
		}
	}
}

// ConsensusMessage converts an upstream consensus event other than a vote;
// ok is false for other data.
func ConsensusMessage(data any) (ConsensusEvent, bool) {
	switch d := data.(type) {
	case cmttypes.EventDataNewRound:
		return ConsensusEvent{Kind: "new_round", Height: d.Height, Round: d.Round, Proposer: d.Proposer.Address.String()}, true
	case cmttypes.EventDataRoundState:
		return ConsensusEvent{Kind: "round_step", Height: d.Height, Round: d.Round, Step: strings.TrimPrefix(d.Step, "RoundStep")}, true
	case cmttypes.EventDataCompleteProposal:
		return ConsensusEvent{Kind: "proposal", Height: d.Height, Round: d.Round, BlockHash: d.BlockID.Hash.String()}, true
	case cmttypes.EventDataValidatorSetUpdates:
		msg := ConsensusEvent{Kind: "validator_set_update"}
		for _, v := range d.ValidatorUpdates {
			msg.Validators = append(msg.Validators, ValidatorSet{Address: v.Address.String(), Power: v.VotingPower})
		}
		return msg, true
	}
	return ConsensusEvent{}, false
}

type voteKey struct {
	height int64
	round  int32
	typ    string
}

type voteCount struct {
	votes, nilVotes int
	hashes          map[string]int
	dirty           bool // votes arrived since the last summary
}

// VoteTally sums votes per height, round and type until the round moves on.
type VoteTally struct {
	counts map[voteKey]*voteCount
}

// NewVoteTally returns an empty tally.
func NewVoteTally() *VoteTally { return &VoteTally{counts: map[voteKey]*voteCount{}} }

// Add counts one vote.
func (t *VoteTally) Add(v *cmttypes.Vote) {
	if v == nil {
		return
	}
	typ := "prevote"
	if v.Type == cmtproto.PrecommitType {
		typ = "precommit"
	}
	k := voteKey{v.Height, v.Round, typ}
	c, ok := t.counts[k]
	if !ok {
		c = &voteCount{hashes: map[string]int{}}
		t.counts[k] = c
	}
	c.votes++
	if len(v.BlockID.Hash) == 0 {
		c.nilVotes++
	} else {
		c.hashes[v.BlockID.Hash.String()]++
	}
	c.dirty = true
}

// Closed returns summaries of the tallies that consensus reaching (height,
// round, step) has moved past, oldest first, and forgets tallies more than
// two heights back.
func (t *VoteTally) Closed(height int64, round int32, step string) []ConsensusEvent {
	closes := func(k voteKey) bool {
		if k.height != height || k.round != round {
			return k.height < height || (k.height == height && k.round < round)
		}
		switch step {
		case "PrevoteWait", "Precommit":
			return k.typ == "prevote"
		case "PrecommitWait", "Commit":
			return true
		}
		return false
	}
	var out []ConsensusEvent
	for k, c := range t.counts {
		if k.height < height-2 {
			delete(t.counts, k)
			continue
		}
		if !c.dirty || !closes(k) {
			continue
		}
		c.dirty = false
		msg := ConsensusEvent{Kind: "votes", Height: k.height, Round: k.round, VoteType: k.typ, Votes: c.votes, NilVotes: c.nilVotes}
		best := 0
		for h, n := range c.hashes {
			if n > best || (n == best && h < msg.BlockHash) {
				msg.BlockHash, best = h, n
			}
		}
		out = append(out, msg)
	}
	slices.SortFunc(out, func(a, b ConsensusEvent) int {
		if a.Height != b.Height {
			return cmp.Compare(a.Height, b.Height)
		}
		if a.Round != b.Round {
			return cmp.Compare(a.Round, b.Round)
		}
		return cmp.Compare(b.VoteType, a.VoteType) // prevote before precommit
	})
	return out
}
