package feed

import (
	"context"
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
//   - vote: height, round, vote_type (prevote/precommit), validator, validator_index,
//     block_hash ("" for a nil vote)
//   - validator_set_update: height 0, validators (address and new voting power; 0 = removed)
type ConsensusEvent struct {
	Kind           string         `json:"kind"`
	Height         int64          `json:"height"`
	Round          int32          `json:"round"`
	Step           string         `json:"step,omitempty"`
	Proposer       string         `json:"proposer,omitempty"`
	BlockHash      string         `json:"block_hash,omitempty"`
	VoteType       string         `json:"vote_type,omitempty"`
	Validator      string         `json:"validator,omitempty"`
	ValidatorIndex int32          `json:"validator_index,omitempty"`
	Validators     []ValidatorSet `json:"validators,omitempty"`
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

// Consensus publishes consensus_events until ctx ends.
func Consensus(ctx context.Context, n *node.Node, hub *ws.Hub, logger log.Logger) {
	events := make(chan ctypes.ResultEvent, upstreamBuffer)
	go subscribe(ctx, n, ws.TopicConsensusEvents, consensusQueries, events, logger)
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			msg, ok := ConsensusMessage(ev.Data)
			if !ok {
				continue
			}
			if err := hub.Publish(ws.TopicConsensusEvents, msg.Height, msg); err != nil {
				logger.Error("publishing a consensus event", "err", err)
			}
		}
	}
}

// ConsensusMessage converts an upstream consensus event; ok is false for other data.
func ConsensusMessage(data any) (ConsensusEvent, bool) {
	switch d := data.(type) {
	case cmttypes.EventDataNewRound:
		return ConsensusEvent{Kind: "new_round", Height: d.Height, Round: d.Round, Proposer: d.Proposer.Address.String()}, true
	case cmttypes.EventDataRoundState:
		return ConsensusEvent{Kind: "round_step", Height: d.Height, Round: d.Round, Step: strings.TrimPrefix(d.Step, "RoundStep")}, true
	case cmttypes.EventDataCompleteProposal:
		return ConsensusEvent{Kind: "proposal", Height: d.Height, Round: d.Round, BlockHash: d.BlockID.Hash.String()}, true
	case cmttypes.EventDataVote:
		if d.Vote == nil {
			return ConsensusEvent{}, false
		}
		v := d.Vote
		kind := "prevote"
		if v.Type == cmtproto.PrecommitType {
			kind = "precommit"
		}
		return ConsensusEvent{Kind: "vote", Height: v.Height, Round: v.Round, VoteType: kind,
			Validator: v.ValidatorAddress.String(), ValidatorIndex: v.ValidatorIndex, BlockHash: v.BlockID.Hash.String()}, true
	case cmttypes.EventDataValidatorSetUpdates:
		msg := ConsensusEvent{Kind: "validator_set_update"}
		for _, v := range d.ValidatorUpdates {
			msg.Validators = append(msg.Validators, ValidatorSet{Address: v.Address.String(), Power: v.VotingPower})
		}
		return msg, true
	}
	return ConsensusEvent{}, false
}
