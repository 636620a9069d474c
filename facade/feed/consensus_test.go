package feed

import (
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
)

func vote(h int64, r int32, typ cmtproto.SignedMsgType, hash byte) *cmttypes.Vote {
	v := &cmttypes.Vote{Type: typ, Height: h, Round: r}
	if hash != 0 {
		v.BlockID.Hash = make([]byte, 32)
		v.BlockID.Hash[0] = hash
	}
	return v
}

func TestVoteTally(t *testing.T) {
	tally := NewVoteTally()
	tally.Add(vote(5, 0, cmtproto.PrevoteType, 0xAA))
	tally.Add(vote(5, 0, cmtproto.PrevoteType, 0xAA))
	tally.Add(vote(5, 0, cmtproto.PrevoteType, 0))
	if got := tally.Closed(5, 0, "Prevote"); len(got) != 0 {
		t.Fatalf("prevotes summarised while still prevoting: %+v", got)
	}
	got := tally.Closed(5, 0, "Precommit")
	if len(got) != 1 || got[0].VoteType != "prevote" || got[0].Votes != 3 || got[0].NilVotes != 1 || got[0].BlockHash[:2] != "AA" {
		t.Fatalf("prevote summary: %+v", got)
	}
	if again := tally.Closed(5, 0, "Precommit"); len(again) != 0 {
		t.Fatalf("an unchanged tally was sent twice: %+v", again)
	}

	tally.Add(vote(5, 0, cmtproto.PrecommitType, 0xAA))
	tally.Add(vote(5, 0, cmtproto.PrevoteType, 0xAA)) // a late prevote
	got = tally.Closed(5, 0, "Commit")
	if len(got) != 2 || got[0].VoteType != "prevote" || got[0].Votes != 4 || got[1].VoteType != "precommit" || got[1].Votes != 1 {
		t.Fatalf("commit summaries (cumulative, prevote first): %+v", got)
	}

	// A new height closes whatever the old one left, and old tallies are forgotten.
	tally.Add(vote(5, 0, cmtproto.PrecommitType, 0xAA))
	got = tally.Closed(6, 0, "NewHeight")
	if len(got) != 1 || got[0].Height != 5 || got[0].Votes != 2 {
		t.Fatalf("new height: %+v", got)
	}
	tally.Closed(9, 0, "NewHeight")
	if len(tally.counts) != 0 {
		t.Fatalf("%d old tallies kept", len(tally.counts))
	}
}
