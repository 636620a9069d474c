package keyguard

import (
	"bytes"
	"fmt"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/store"
	"github.com/cometbft/cometbft/types"
)

// DefaultDoubleSignCheckHeight is the double_sign_check_height aitbcd writes
// into every new config.toml. Before a node that was not the last to sign
// with its key joins consensus, CometBFT looks this many blocks back for a
// commit signature by that key and refuses to start if it finds one: the key
// is in use elsewhere. A second copy of a running validator signs every
// block, so any lookback catches it; 10 blocks (10 s at the seed's 1 s
// blocks) also catches a copy started shortly after the original stopped,
// while a validator that was down for longer than that, and now starts
// elsewhere, is not held up. Waiting 10 blocks out never jails: x/slashing
// jails for downtime after 50 missed blocks of its 100-block window (the
// SDK's defaults, which AITBC keeps).
const DefaultDoubleSignCheckHeight = 10

// storeRecent reads the node's block store once: the heights, among its
// last lookback commits, that addr signed, and the height and header time of
// its last block. It opens the store and closes it before returning, so it
// must run before CometBFT opens it. An empty store has no heights.
func storeRecent(cfg *cmtcfg.Config, addr crypto.Address, lookback int64) (own []int64, top int64, topTime time.Time, err error) {
	db, err := cmtcfg.DefaultDBProvider(&cmtcfg.DBContext{ID: "blockstore", Config: cfg})
	if err != nil {
		return nil, 0, time.Time{}, fmt.Errorf("opening the block store: %w", err)
	}
	bs := store.NewBlockStore(db)
	defer bs.Close()
	top = bs.Height()
	if meta := bs.LoadBlockMeta(top); meta != nil {
		topTime = meta.Header.Time
	}
	for h := top; h > top-lookback && h >= bs.Base() && h > 0; h-- {
		commit := bs.LoadSeenCommit(h)
		if commit == nil {
			commit = bs.LoadBlockCommit(h)
		}
		if commit != nil && signedBy(commit, addr) {
			own = append(own, h)
		}
	}
	return own, top, topTime, nil
}

func signedBy(c *types.Commit, addr crypto.Address) bool {
	for _, s := range c.Signatures {
		if s.BlockIDFlag == types.BlockIDFlagCommit && bytes.Equal(s.ValidatorAddress, addr) {
			return true
		}
	}
	return false
}
