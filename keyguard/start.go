package keyguard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/p2p"
	sm "github.com/cometbft/cometbft/state"
)

// Options are the inputs of one start's key checks.
type Options struct {
	Config     *cmtcfg.Config // the node's CometBFT config; the lookback is lowered in it when excused
	ChainID    string
	ConsPrefix string        // bech32 prefix of consensus addresses (aitvalcons)
	Want       string        // VALIDATOR_ADDRESS as given; "" checks nothing
	SignerWait time.Duration // how long to wait for a remote signer (0: DefaultSignerWait)
	Now        time.Time     // wall clock of the start, for the quick-restart rule
	Logger     log.Logger
}

// Decision is what the checks found and chose.
type Decision struct {
	Address crypto.Address // the key the node will sign with; nil when it has none yet
	Remote  bool           // signed through priv_validator_laddr
	// OwnHeights are the recent heights of the node's block store that the key
	// signed; when Excused is set, the lookback was turned off for this start
	// because of them, for the reason given.
	OwnHeights []int64
	Excused    string
}

// Check runs before CometBFT starts: it finds the key the node will sign
// with, refuses a world-readable local key file and a key other than
// VALIDATOR_ADDRESS, and decides the double-sign lookback for this start.
func Check(ctx context.Context, o Options) (Decision, error) {
	cfg := o.Config
	var want crypto.Address
	if o.Want != "" {
		addr, err := ParseAddress(o.Want, o.ConsPrefix)
		if err != nil {
			return Decision{}, fmt.Errorf("invalid %s=%q: %w", EnvValidatorAddress, o.Want, err)
		}
		want = addr
	}

	var d Decision
	source := cfg.PrivValidatorKeyFile()
	if laddr := cfg.PrivValidatorListenAddr; laddr != "" {
		nodeKey, err := p2p.LoadOrGenNodeKey(cfg.NodeKeyFile())
		if err != nil {
			return Decision{}, err
		}
		wait := o.SignerWait
		if wait == 0 {
			wait = DefaultSignerWait
		}
		o.Logger.Info("waiting for the remote signer", "priv_validator_laddr", laddr, "up_to", wait.String())
		pub, err := ProbeRemoteSigner(ctx, laddr, o.ChainID, nodeKey.PrivKey, wait, o.Logger)
		if err != nil {
			return Decision{}, err
		}
		d.Address, d.Remote, source = pub.Address(), true, "the remote signer on "+laddr
	} else {
		if err := CheckKeyFileMode(source); err != nil {
			return Decision{}, err
		}
		addr, err := LocalKeyAddress(source)
		if err != nil {
			return Decision{}, err
		}
		d.Address = addr
	}

	if want != nil && !bytes.Equal(want, d.Address) {
		given := fmt.Sprintf("%s=%s (%s, %s)", EnvValidatorAddress, strings.TrimSpace(o.Want), want, Bech32(want, o.ConsPrefix))
		if d.Address == nil {
			return Decision{}, fmt.Errorf("%s, but this node has no consensus key yet: %s does not exist", given, source)
		}
		return Decision{}, fmt.Errorf("%s is not the key this node would sign with: %s holds %s (%s); "+
			"refusing to start rather than sign as another validator",
			given, source, d.Address, Bech32(d.Address, o.ConsPrefix))
	}

	lookback := cfg.Consensus.DoubleSignCheckHeight
	if lookback <= 0 || d.Address == nil {
		return d, nil
	}
	own, top, topTime, err := storeRecent(cfg, d.Address, lookback)
	if err != nil {
		return Decision{}, err
	}
	d.OwnHeights = own
	if len(own) == 0 {
		return d, nil
	}
	reason, err := restartReason(cfg, d.Address, lookback, top, topTime, o.Now)
	if err != nil {
		return Decision{}, err
	}
	if reason != "" {
		d.Excused = reason
		cfg.Consensus.DoubleSignCheckHeight = 0
	}
	return d, nil
}

// restartReason says why the key's own signatures at the top of the block
// store are this node's last work rather than another signer's, so that
// CometBFT's lookback would refuse an honest restart; "" when none holds
// and the lookback stays.
//
// CometBFT cannot tell its own earlier signatures from a copy's: it refuses
// any start that finds the key in the last double_sign_check_height commits.
// Three restarts would then never succeed: a chain halted for an upgrade (no
// block is made until the validators come back), a key holding more than
// 2/3 of the power (no block is made without it, e.g. the one-validator
// devnet), and a restart quicker than the lookback (the chain cannot have
// made that many blocks without this key since; see QuickRestart).
// Anything else keeps the lookback: after block sync CometBFT checks the
// blocks the chain made while this node was away. Not told apart: a chain
// that halted for another reason and stays halted longer than QuickRestart
// (docs/operations.md says how to restart it).
func restartReason(cfg *cmtcfg.Config, addr crypto.Address, lookback, top int64, lastTime, now time.Time) (string, error) {
	if h, ok := pendingUpgradeHeight(cfg); ok && h == top+1 {
		return fmt.Sprintf("the chain halted at height %d for an upgrade", h), nil
	}
	share, err := powerShare(cfg, addr)
	if err != nil {
		return "", err
	}
	if share.num*3 > share.den*2 {
		return fmt.Sprintf("the key holds %d of %d voting power: no block is made without it", share.num, share.den), nil
	}
	if quick := QuickRestart(lookback, cfg.Consensus.TimeoutCommit); !lastTime.IsZero() && now.Sub(lastTime) < quick {
		return fmt.Sprintf("block %d is %s old: a restart within %s", top, now.Sub(lastTime).Round(time.Second), quick), nil
	}
	return "", nil
}

// QuickRestart is how recent the last stored block must be for a restart
// to count as quick: twice the time the lookback takes at the configured
// block time, and at least a minute, because blocks come slower than
// timeout_commit (and not at all while the chain waits for quorum).
func QuickRestart(lookback int64, blockTime time.Duration) time.Duration {
	return max(2*time.Duration(lookback)*blockTime, time.Minute)
}

type fraction struct{ num, den int64 }

// powerShare is the key's part of the voting power of the set that signs
// the next block, from CometBFT's state store.
func powerShare(cfg *cmtcfg.Config, addr crypto.Address) (fraction, error) {
	db, err := cmtcfg.DefaultDBProvider(&cmtcfg.DBContext{ID: "state", Config: cfg})
	if err != nil {
		return fraction{}, fmt.Errorf("opening the state store: %w", err)
	}
	defer func() { _ = db.Close() }()
	state, err := sm.NewStore(db, sm.StoreOptions{}).Load()
	if err != nil || state.Validators == nil {
		return fraction{}, err
	}
	_, val := state.Validators.GetByAddress(addr)
	if val == nil {
		return fraction{0, state.Validators.TotalVotingPower()}, nil
	}
	return fraction{val.VotingPower, state.Validators.TotalVotingPower()}, nil
}

// pendingUpgradeHeight reads the height x/upgrade wrote to
// data/upgrade-info.json when it halted the node for a plan.
func pendingUpgradeHeight(cfg *cmtcfg.Config) (int64, bool) {
	raw, err := os.ReadFile(filepath.Join(cfg.RootDir, "data", "upgrade-info.json"))
	if err != nil {
		return 0, false // absent, or unreadable: x/upgrade itself reports that at start
	}
	var plan struct {
		Height int64 `json:"height"`
	}
	if json.Unmarshal(raw, &plan) != nil {
		return 0, false
	}
	return plan.Height, plan.Height > 0
}
